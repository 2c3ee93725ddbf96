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

/**
 * Loads and checks the inventory and everything it refers to (keys, known_hosts, sudo password
 * variables in `env`) before the connector exists: bad input fails here, with no host touched.
 */
export async function loadContext(inventoryPath: string, env: NodeJS.ProcessEnv = process.env): Promise<CommandContext> {
  const inventory = await loadInventory(inventoryPath, env);
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

/** Each host's sudo password, from the variable its inventory names (loadInventory checked each is set). */
function becomePasswords(hosts: readonly Host[], env: NodeJS.ProcessEnv): Map<string, string> {
  const passwords = new Map<string, string>();
  for (const host of hosts) {
    const value = host.becomePasswordEnv === undefined ? undefined : env[host.becomePasswordEnv];
    if (value !== undefined) passwords.set(host.name, value);
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
