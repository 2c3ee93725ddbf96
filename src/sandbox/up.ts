// `meshctl sandbox up`: N simulated hosts on this machine and an inventory for them.
// Example: `await sandboxUp({ hosts: 3, backend: 'ovs-gre', suite: 'bookworm', inventoryPath: 'lab.yaml', sets: [], log })`.
import { mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import { parse } from 'yaml';
import { SandboxError, UsageError } from '../errors.js';
import type { Backend } from '../backends/index.js';
import { checkBackend } from './backends.js';
import { containerStatus, labelledContainers, labelledNetworks } from './docker.js';
import { mapLimit } from '../engine/map-limit.js';
import { ensureEngine } from './docker-engine.js';
import { bringUpHost, hostSpec, removeContainers } from './hosts.js';
import { ensureHostImage, imageExists } from './image.js';
import { generateInventory } from './inventory.js';
import { ensureKeyPair } from './keys.js';
import { ensureKernelLimits } from './limits-read.js';
import { sandboxLayout, type SandboxLayout } from './layout.js';
import { firstHosts } from './new-hosts.js';
import { createNetworks, ensureNetwork, removeNetworks } from './networks.js';
import { ensureRouter } from './router.js';
import { checkImagePackages, checkSuite, debianMirror, hostRecipe, type Suite } from './recipe.js';
import { readState, writeState, type SandboxHost, type SandboxState } from './state.js';
import { maxHosts, routerAddress, subnetPair } from './subnets.js';

export interface SandboxUpOptions {
  hosts: number;
  backend: string;
  /** The hosts' Debian release: one of `suites` (recipe.ts). */
  suite: string;
  inventoryPath: string;
  /**
   * Packages baked into the host image (`--image-packages`), their services disabled so that `up`
   * still starts and enables them: a test-only shortcut past the installs. Default none.
   */
  imagePackages?: readonly string[];
  /** `KEY=VALUE` overrides applied to the written inventory (see generateInventory). */
  sets: string[];
  log: (line: string) => void;
}

/**
 * Hosts booted at once. Each boot is a `docker run`, two network attachments and a systemd start,
 * mostly CPU: 50 at once would share 2 cores 50 ways while each one's wait for sshd (120 s) runs.
 */
export const hostStartConcurrency = 8;

export async function sandboxUp(options: SandboxUpOptions): Promise<SandboxState> {
  const { log } = options;
  const backend = checkBackend(options.backend);
  const suite = checkSuite(options.suite);
  const imagePackages = checkImagePackages(options.imagePackages ?? []);
  if (!Number.isInteger(options.hosts) || options.hosts < 1 || options.hosts > maxHosts) {
    throw new UsageError(`--hosts must be a whole number from 1 to ${maxHosts}, not ${options.hosts}`);
  }
  const layout = sandboxLayout(options.inventoryPath);
  // Fail on a bad --set before anything is created.
  const pair = subnetPair(1);
  inventoryText(layout, backend, suite, pair.underlay, firstHosts(layout.name, pair, options.hosts), options.sets);

  await ensureEngine(log);
  const started = Date.now();
  const recorded = await readState(layout.statePath);
  const wanted = { hosts: options.hosts, backend: backend.name, suite, imagePackages };
  if (recorded !== undefined) checkReusable(recorded, wanted, layout);
  else await removeLeftovers(layout.name, log);
  // Before anything is created: a host short of inotify instances exits at once, long after its start.
  await ensureKernelLimits(await hostsToBoot(recorded, options.hosts), options.hosts, log);

  const state =
    recorded === undefined ? await createState(layout, backend, suite, options.hosts, imagePackages, log) : await reuseState(recorded, log);
  const publicKey = await ensureKeyPair(layout);
  await writeState(layout.statePath, state);

  log(`starting ${state.hosts.length} host(s), ${hostStartConcurrency} at a time`);
  await mapLimit(
    state.hosts,
    hostStartConcurrency,
    async (host) => {
      await bringUpHost(hostSpec(state, host), publicKey, state.knownHosts);
      log(`${host.name}: sshd up on ${host.address}`);
    },
  );

  const text = inventoryText(layout, backend, suite, state.networks.underlay.subnet, state.hosts, options.sets);
  await startRouter(state, backend, suite, text, publicKey, log);
  await mkdir(layout.inventoryDir, { recursive: true });
  await writeFile(layout.inventoryPath, text);
  log(`sandbox ${state.name} (Debian ${suite}) ready in ${Math.round((Date.now() - started) / 1000)}s; inventory: ${layout.inventoryPath}`);
  return state;
}

async function createState(
  layout: SandboxLayout,
  backend: Backend,
  suite: Suite,
  count: number,
  imagePackages: readonly string[],
  log: (line: string) => void,
): Promise<SandboxState> {
  const image = await ensureHostImage(hostRecipe(suite, imagePackages), log);
  const networks = await createNetworks(layout.name);
  log(`networks: management ${networks.management.subnet}, underlay ${networks.underlay.subnet}`);
  return {
    version: 1,
    name: layout.name,
    inventoryPath: layout.inventoryPath,
    backend: backend.name,
    suite,
    image,
    imagePackages: [...imagePackages],
    networks,
    hosts: firstHosts(layout.name, { management: networks.management.subnet, underlay: networks.underlay.subnet }, count),
    sshKey: layout.keyPath,
    knownHosts: layout.knownHostsPath,
    createdAt: new Date().toISOString(),
  };
}

/** Puts back what an interrupted `up` or a manual `docker rm` took away; hosts are handled later (also by `sandbox add`). */
export async function reuseState(state: SandboxState, log: (line: string) => void): Promise<SandboxState> {
  log(`reusing sandbox ${state.name} (${state.hosts.length} hosts)`);
  const { management, underlay } = state.networks;
  const ok = (await ensureNetwork(state.name, management, 'management')) && (await ensureNetwork(state.name, underlay, 'underlay'));
  if (!ok) {
    throw new SandboxError(
      `the subnets of sandbox ${state.name} (${management.subnet}, ${underlay.subnet}) are now used by other networks: ` +
        `run \`meshctl sandbox down -i ${state.inventoryPath}\`, then \`sandbox up\` again`,
    );
  }
  const image = (await imageExists(state.image)) ? state.image : await ensureHostImage(hostRecipe(state.suite, state.imagePackages), log);
  return { ...state, image };
}

/** How many hosts will boot: all of a new sandbox, those not running of a recorded one. */
async function hostsToBoot(recorded: SandboxState | undefined, hosts: number): Promise<number> {
  if (recorded === undefined) return hosts;
  const statuses = await mapLimit(recorded.hosts, hostStartConcurrency, (host) => containerStatus(host.container));
  return statuses.filter((status) => status !== 'running').length;
}

function inventoryText(
  layout: SandboxLayout,
  backend: Backend,
  suite: Suite,
  underlaySubnet: string,
  hosts: readonly SandboxHost[],
  sets: readonly string[],
): string {
  const input = {
    underlay: { subnet: underlaySubnet, routerAddress: routerAddress(underlaySubnet) },
    sandbox: layout.name,
    inventoryFile: displayPath(layout.inventoryPath),
    stateDirRelative: layout.stateDirRelative,
    backend,
    suite,
    mirror: debianMirror,
    hosts,
  };
  return generateInventory(input, sets);
}

interface SandboxShape {
  hosts: number;
  backend: string;
  suite: Suite;
  imagePackages: readonly string[];
}

function checkReusable(state: SandboxState, wanted: SandboxShape, layout: SandboxLayout): void {
  const recorded: SandboxShape = { hosts: state.hosts.length, backend: state.backend, suite: state.suite, imagePackages: state.imagePackages };
  if (describe(recorded) === describe(wanted)) return;
  throw new UsageError(
    `a sandbox for ${layout.inventoryPath} already exists with ${describe(recorded)}: ` +
      `run \`meshctl sandbox down -i ${layout.inventoryPath}\` first to make one with ${describe(wanted)}`,
  );
}

function describe(shape: SandboxShape): string {
  const baked = shape.imagePackages.length === 0 ? '' : ` (image with ${shape.imagePackages.join(', ')})`;
  return `${shape.hosts} ${shape.suite} host(s)${baked} and backend ${shape.backend}`;
}

/** Containers or networks of this sandbox without a record come from an `up` that died early. */
async function removeLeftovers(sandbox: string, log: (line: string) => void): Promise<void> {
  const containers = await labelledContainers(sandbox);
  const networks = await labelledNetworks(sandbox);
  if (containers.length + networks.length === 0) return;
  log(`removing leftovers of an unfinished sandbox ${sandbox}: ${[...containers, ...networks].join(', ')}`);
  await removeContainers(containers);
  await removeNetworks(networks);
}

/** The outside router the backend wants on the underlay, set up from the final inventory. */
async function startRouter(
  state: SandboxState,
  backend: Backend,
  suite: Suite,
  text: string,
  publicKey: string,
  log: (line: string) => void,
): Promise<void> {
  const { underlay, management } = state.networks;
  const defaults = backend.sandbox({
    underlaySubnet: underlay.subnet,
    routerAddress: routerAddress(underlay.subnet),
    suite,
    mirror: debianMirror,
  });
  if (defaults.router === undefined) return;
  const mesh = (parse(text) as { mesh?: Record<string, unknown> }).mesh ?? {};
  const spec = {
    sandbox: state.name,
    container: `${state.name}-router`,
    hostname: 'router',
    image: state.image,
    management: { network: management.name, address: routerAddress(management.subnet) },
    underlay: { network: underlay.name, address: routerAddress(underlay.subnet) },
  };
  await ensureRouter(spec, defaults.router(mesh), publicKey, state.knownHosts, log);
}

/** Relative to the current directory when below it, else absolute. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}
