// What every host-facing command starts from: the validated inventory, its plan, and a way in.
import { UsageError } from '../errors.js';
import { loadInventory } from '../inventory/load.js';
import type { Host, Inventory } from '../inventory/types.js';
import { planInventory } from '../inventory/plan.js';
import type { MeshPlan } from '../network/plan.js';
import type { Connector } from '../engine/sessions.js';
import { connect } from '../transport/ssh.js';

export interface CommandContext {
  inventory: Inventory;
  plan: MeshPlan;
  connect: Connector;
}

export async function loadContext(inventoryPath: string, env: NodeJS.ProcessEnv = process.env): Promise<CommandContext> {
  const inventory = await loadInventory(inventoryPath);
  const passwords = becomePasswords(inventory.hosts, env);
  return {
    inventory,
    plan: planInventory(inventory),
    connect: (host) => {
      const becomePassword = passwords.get(host.name);
      return connect(host, becomePassword === undefined ? {} : { becomePassword });
    },
  };
}

/** Reads every sudo password from its environment variable up front: a missing one is bad input. */
function becomePasswords(hosts: readonly Host[], env: NodeJS.ProcessEnv): Map<string, string> {
  const passwords = new Map<string, string>();
  for (const host of hosts) {
    if (host.becomePasswordEnv === undefined) continue;
    const value = env[host.becomePasswordEnv];
    if (value === undefined || value === '') {
      throw new UsageError(`${host.name}: become_password_env names ${host.becomePasswordEnv}, but that environment variable is not set`);
    }
    passwords.set(host.name, value);
  }
  return passwords;
}

/** `--limit a,b`: the named hosts, in inventory order; unknown names are bad input. */
export function limitHosts(hosts: readonly Host[], limit: string | undefined): Host[] {
  if (limit === undefined) return [...hosts];
  const wanted = limit.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = wanted.filter((name) => !hosts.some((host) => host.name === name));
  if (unknown.length > 0) {
    throw new UsageError(`--limit: unknown host(s) ${unknown.join(', ')} (inventory has ${hosts.map((h) => h.name).join(', ')})`);
  }
  return hosts.filter((host) => wanted.includes(host.name));
}
