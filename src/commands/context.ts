// What every host-facing command starts from: the validated inventory, its plan, and a way in.
import path from 'node:path';
import { loadPlaybook, playbookDir, type PlaybookAction } from '../engine/playbook.js';
import { prepareTasks, type PreparedPlay, type Registered } from '../engine/prepare.js';
import type { RunOptions } from '../engine/vars.js';
import { UsageError } from '../errors.js';
import { didYouMean } from '../inventory/suggest.js';
import { loadInventory } from '../inventory/load.js';
import type { Host, Inventory } from '../inventory/types.js';
import { planInventory } from '../inventory/plan.js';
import { recordedSlices, type StateRecord } from '../state/record.js';
import { openStateStore, type StateStore } from '../state/store.js';
import { endpointSecret } from '../state/remote.js';
import type { MeshPlan } from '../network/plan.js';
import type { Connector } from '../engine/sessions.js';
import { currentRunLog } from '../logging/run-log.js';
import { loggedConnector } from '../transport/logged-connection.js';
import { modules } from '../modules/index.js';
import { connect } from '../transport/ssh.js';
import { askBecomePassword, hostsPromptingPassword, terminalSecretPrompt, type SecretPrompt } from './sudo-password.js';

export interface CommandContext {
  inventory: Inventory;
  /** Slices as an earlier `up` recorded them, new hosts placed around them. */
  plan: MeshPlan;
  /** Where the state record lives (file, etcd, Consul), and the record as read before the plan. */
  state: StateStore;
  record: StateRecord | undefined;
  connect: Connector;
  /** To print once before the run (stderr): host key checking turned off. */
  warnings: string[];
}

/**
 * Loads and checks the inventory and everything it refers to (keys, known_hosts, sudo password
 * variables in `env`) before the connector exists: bad input fails here, with no host touched.
 * The sudo password is asked here too (become_password_prompt), so before any connection. The
 * state record is read here as well: a state store that cannot be reached stops the command
 * before any host is touched. With `limit` (`--limit`), only for the hosts it selects: a run on
 * hosts that need no password asks for none.
 */
export async function loadContext(
  inventoryPath: string,
  { env = process.env, secretPrompt = terminalSecretPrompt, limit }: { env?: NodeJS.ProcessEnv; secretPrompt?: SecretPrompt; limit?: string | undefined } = {},
): Promise<CommandContext> {
  const inventory = await loadInventory(inventoryPath, env);
  const passwords = await becomePasswords(limitHosts(inventory, limit), env, secretPrompt);
  const connector: Connector = (host) => {
    const becomePassword = passwords.get(host.name);
    return connect(host, becomePassword === undefined ? {} : { becomePassword });
  };
  // -v / --log: every connection reports what it runs; no password is ever written.
  const log = currentRunLog();
  for (const password of passwords.values()) log?.addSecret(password);
  if (inventory.state.store !== 'file') for (const endpoint of inventory.state.endpoints) log?.addSecret(endpointSecret(endpoint) ?? '');
  const state = openStateStore(inventory);
  const record = await state.read();
  const plan = planInventory(inventory, recordedSlices(record, inventory.mesh));
  return { inventory, plan, state, record, connect: log === undefined ? connector : loggedConnector(connector, log.emit), warnings: hostKeyWarnings(inventory.hosts) };
}

/** One loud line for the run, not one per host: no check means anyone on the path can be the host. */
export function hostKeyWarnings(hosts: readonly Host[]): string[] {
  const unchecked = hosts.filter((host) => host.ssh.hostKeyChecking === 'off').map((host) => host.name);
  if (unchecked.length === 0) return [];
  const which = unchecked.length === hosts.length ? 'any host' : unchecked.join(', ');
  return [
    `WARNING: ssh.host_key_checking is off for ${which}: host keys are not checked, so anyone between this machine and ${unchecked.length === 1 ? 'that host' : 'those hosts'} can pose as ${unchecked.length === 1 ? 'it' : 'them'} and read the sudo password and everything sent. Use accept-new or strict on a real fleet.`,
  ];
}

/**
 * Each host's sudo password: from the variable its inventory names (loadInventory checked each
 * is set), else the one answer to the prompt for the hosts that allow it.
 */
export async function becomePasswords(hosts: readonly Host[], env: NodeJS.ProcessEnv, prompt: SecretPrompt): Promise<Map<string, string>> {
  const asked = await askBecomePassword(hosts, prompt);
  const prompted = new Set(hostsPromptingPassword(hosts).map((host) => host.name));
  const passwords = new Map<string, string>();
  for (const host of hosts) {
    const value = host.becomePasswordEnv !== undefined ? env[host.becomePasswordEnv] : prompted.has(host.name) ? asked : undefined;
    if (value !== undefined) passwords.set(host.name, value);
  }
  return passwords;
}

/**
 * `--limit a,b`: the hosts named, and those in the groups named (from `groups:`), in inventory
 * order. Unknown names are bad input, listed with the known ones; so is a limit that selects none.
 */
export function limitHosts(inventory: Pick<Inventory, 'hosts' | 'groups'>, limit: string | undefined): Host[] {
  const { hosts } = inventory;
  if (limit === undefined) return [...hosts];
  const wanted = limit.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const groups = [...new Set([...inventory.groups, ...hosts.flatMap((host) => host.groups)])];
  const hostNames = hosts.map((host) => host.name);
  const unknown = wanted.filter((name) => !hostNames.includes(name) && !groups.includes(name));
  if (unknown.length > 0) {
    const guesses = unknown.map((name) => `${name}${didYouMean(name, [...hostNames, ...groups])}`);
    const known = `hosts: ${hostNames.join(', ')}; groups: ${groups.length === 0 ? 'none' : groups.join(', ')}`;
    throw new UsageError(`--limit: no host or group named ${guesses.join(', ')}; ${known}`);
  }
  const selected = hosts.filter((host) => wanted.includes(host.name) || host.groups.some((group) => wanted.includes(group)));
  if (selected.length === 0) {
    throw new UsageError(wanted.length === 0 ? '--limit: name at least one host or group' : `--limit ${wanted.join(',')}: no host is in ${wanted.length === 1 ? 'that group' : 'those groups'}`);
  }
  return selected;
}

/**
 * The backend's playbook (or `playbookFile`) prepared for every host, its plays then kept for `hosts`:
 * every host's tasks are rendered and checked, also outside a limit, so bad input touches nothing.
 */
export async function tasksFor(
  context: CommandContext,
  action: PlaybookAction,
  hosts: readonly Host[],
  options: RunOptions & { playbookFile?: string | undefined },
): Promise<PlaybookRun> {
  const { inventory, plan } = context;
  const playbook = await loadPlaybook(options.playbookFile ?? path.join(playbookDir(), inventory.backend.playbook), modules);
  const kept = new Set(hosts.map((host) => host.name));
  const prepare = (registered?: Registered): PreparedPlay[] =>
    prepareTasks(playbook, action, inventory, plan, { purge: options.purge }, registered).map((play) => ({
      ...play,
      tasks: new Map([...play.tasks].filter(([name]) => kept.has(name))),
    }));
  return { plays: prepare(), prepare };
}

/** The plays as prepared before the run, and how to prepare them again with what was registered (runPlays). */
export interface PlaybookRun {
  plays: PreparedPlay[];
  prepare: (registered: Registered) => PreparedPlay[];
}
