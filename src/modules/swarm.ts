// swarm: Docker swarm mode, the current engines' way to an overlay without an external store.
// The manager initialises the swarm and its join token is read as a secret output; each worker
// joins with it (the token reaches it through meshctl's own SSH sessions, never printed).
// params: role: manager | worker, advertise_address, manager?: { address, token } (workers),
// state?: present | absent.
//   - name: Swarm manager
//     module: swarm
//     register: swarm
//     params: { role: manager, advertise_address: "{{ host.underlay_address }}" }
//   - name: Joined to the swarm
//     module: swarm
//     params: { role: worker, advertise_address: ..., manager: { address: "{{ registered.swarm.address }}", token: "{{ registered.swarm.token }}" } }
import { z } from 'zod';
import { change, defineModule, FactParseError, ok, refuse, run } from '../engine/module.js';
import { isIPv4 } from '../network/ipv4.js';
import type { ExecResult } from '../transport/connection.js';
import { shellJoin } from '../transport/quote.js';

/** Swarm's control-plane port on managers. */
export const SWARM_PORT = 2377;

const ipv4 = z.string().refine(isIPv4, 'must be an IPv4 address');

const params = z
  .strictObject({
    role: z.enum(['manager', 'worker']),
    advertise_address: ipv4,
    /** Workers: the manager's address:port and its worker join token ('' in check mode before the swarm exists). */
    manager: z.strictObject({ address: z.string(), token: z.string() }).optional(),
    state: z.enum(['present', 'absent']).default('present'),
  })
  .refine((p) => p.role === 'manager' || p.state === 'absent' || p.manager !== undefined, {
    message: 'a worker needs manager: { address, token }',
    path: ['manager'],
  });

export type SwarmParams = z.output<typeof params>;

export interface SwarmState {
  /** Docker's words: inactive, pending, active, error, locked. */
  state: string;
  node_id: string;
  /** This node is a manager. */
  manager: boolean;
  cluster_id: string;
  /** Addresses (host:port) of the managers this node knows. */
  managers: string[];
}

export interface SwarmFacts {
  swarm: SwarmState;
  /** The worker join token, read on managers only ('' elsewhere). */
  token: string;
}

interface SwarmInfoJson {
  LocalNodeState?: string;
  NodeID?: string;
  ControlAvailable?: boolean;
  Cluster?: { ID?: string } | null;
  RemoteManagers?: { NodeID?: string; Addr?: string }[] | null;
}

export const swarm = defineModule<SwarmParams, SwarmFacts>({
  name: 'swarm',
  params,
  facts: (p) => ({
    swarm: { command: "docker info --format '{{json .Swarm}}'", parse: parseSwarm },
    token: {
      command: p.role === 'manager' ? "if [ \"$(docker info --format '{{.Swarm.ControlAvailable}}')\" = true ]; then docker swarm join-token -q worker; fi" : 'true',
      parse: (result: ExecResult) => result.stdout.trim(),
      secret: true,
    },
  }),
  plan(p, { swarm: node }) {
    const here = `${p.advertise_address}:${SWARM_PORT}`;
    if (p.state === 'absent') {
      if (node.state === 'inactive') return ok('not in a swarm');
      // A manager's leave needs --force (it takes the swarm's state with it); workers leave first.
      return change(`leave the swarm${node.manager ? ' (this was its manager)' : ''}`, [run(shellJoin(['docker', 'swarm', 'leave', ...(node.manager ? ['--force'] : [])]))]);
    }
    if (node.state === 'locked') refuse('the swarm is locked on this node: unlock it (docker swarm unlock) first');
    if (node.state === 'error' || node.state === 'pending') refuse(`this node's swarm state is ${node.state}: see docker info; leave it (docker swarm leave --force) and run again`);
    if (p.role === 'manager') {
      if (node.state === 'active') {
        if (!node.manager) refuse(`this node is a worker of another swarm (managers ${node.managers.join(', ') || 'unknown'}): leave it first`);
        return ok(`manager of swarm ${node.cluster_id}`);
      }
      return change(`initialise a swarm advertised on ${here}`, [
        run(shellJoin(['docker', 'swarm', 'init', '--advertise-addr', p.advertise_address, '--listen-addr', here])),
      ]);
    }
    const manager = p.manager;
    if (manager === undefined) refuse('a worker needs its manager');
    if (node.state === 'active') {
      if (node.manager) refuse('this node is a manager of a swarm of its own: it cannot join another without leaving it');
      if (!node.managers.includes(manager.address)) refuse(`this node is in another swarm (managers ${node.managers.join(', ')}), not ${manager.address}'s: leave it first`);
      return ok(`in the swarm of ${manager.address}`);
    }
    return change(`join the swarm of ${manager.address}`, [
      run(shellJoin(['docker', 'swarm', 'join', '--token', manager.token, '--advertise-addr', p.advertise_address, manager.address])),
    ]);
  },
  outputs: (p, facts) => ({
    address: `${p.advertise_address}:${SWARM_PORT}`,
    token: facts.token,
    cluster_id: facts.swarm.cluster_id,
  }),
  secretOutputs: ['token'],
});

export function parseSwarm(result: ExecResult): SwarmState {
  if (result.code !== 0) throw new FactParseError(`docker info failed (exit ${result.code}): ${result.stderr.trim()}`);
  let json: SwarmInfoJson;
  try {
    json = JSON.parse(result.stdout.trim()) as SwarmInfoJson;
  } catch {
    throw new FactParseError(`docker info printed no JSON: ${result.stdout.trim().slice(0, 200)}`);
  }
  return {
    state: json.LocalNodeState ?? 'inactive',
    node_id: json.NodeID ?? '',
    manager: json.ControlAvailable === true,
    cluster_id: json.Cluster?.ID ?? '',
    managers: (json.RemoteManagers ?? []).map((m) => m.Addr ?? '').filter((a) => a !== ''),
  };
}
