// The registry of modules that playbooks can name: one list, looked up by `module.name`.
import type { AnyModule } from '../engine/module.js';
import { dockerDaemon } from './docker-daemon.js';
import { dockerEngine } from './docker-engine.js';
import { dockerNetwork } from './docker-network.js';
import { firewall } from './firewall.js';
import { kvStore } from './kv-store.js';
import { l2Uplink } from './l2-uplink.js';
import { meshLinks } from './mesh-links.js';
import { note } from './note.js';
import { ovsBridge } from './ovs-bridge.js';
import { ovsTunnels } from './ovs-tunnels.js';
import { packageFiles } from './package-files.js';
import { packageSources } from './package-sources.js';
import { packages } from './packages.js';
import { selinux } from './selinux.js';
import { service } from './service.js';
import { subnetLease } from './subnet-lease.js';
import { swarm } from './swarm.js';
import { sysctl } from './sysctl.js';
import { vxlanRoutes } from './vxlan-routes.js';

const all: readonly AnyModule[] = [
  packages, packageFiles, packageSources, sysctl, firewall, selinux, service, dockerDaemon, dockerEngine, dockerNetwork, ovsBridge, ovsTunnels, meshLinks, l2Uplink, kvStore, swarm, note, vxlanRoutes, subnetLease,
];

export const modules: ReadonlyMap<string, AnyModule> = new Map(all.map((module) => [module.name, module]));
