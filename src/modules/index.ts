// The registry of modules that playbooks can name: one list, looked up by `module.name`.
import type { AnyModule } from '../engine/module.js';
import { dockerDaemon } from './docker-daemon.js';
import { firewall } from './firewall.js';
import { l2Uplink } from './l2-uplink.js';
import { meshLinks } from './mesh-links.js';
import { ovsBridge } from './ovs-bridge.js';
import { ovsTunnels } from './ovs-tunnels.js';
import { packages } from './packages.js';
import { service } from './service.js';
import { sysctl } from './sysctl.js';
import { vxlanRoutes } from './vxlan-routes.js';

const all: readonly AnyModule[] = [packages, sysctl, firewall, service, dockerDaemon, ovsBridge, ovsTunnels, meshLinks, l2Uplink, vxlanRoutes];

export const modules: ReadonlyMap<string, AnyModule> = new Map(all.map((module) => [module.name, module]));
