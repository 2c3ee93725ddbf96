// docker_network: a Docker network (an overlay, say) made once, with the subnet and MTU asked;
// `absent` removes it when meshctl made it. params: name, driver?, subnet, mtu?, attachable?, state?.
//   - name: The overlay network
//     module: docker_network
//     params: { name: meshnet, driver: overlay, subnet: 10.50.0.0/16, mtu: 1450 }
//
// A network of that name with another driver, subnet or MTU is refused, never replaced: removing
// a network cuts every container on it, across all hosts for an overlay. Networks meshctl made
// carry the label meshctl.managed=true, and only those are ever removed.
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { change, defineModule, FactParseError, ok, refuse, run } from '../engine/module.js';
import { isIPv4Network } from '../network/ipv4.js';
import type { ExecResult } from '../transport/connection.js';
import { shellJoin, shellQuote } from '../transport/quote.js';

export const MANAGED_LABEL = 'meshctl.managed';
const MTU_OPTION = 'com.docker.network.driver.mtu';

const params = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'must be a Docker network name'),
  driver: z.enum(['overlay', 'bridge', 'macvlan']).default('overlay'),
  subnet: z.string().refine(isIPv4Network, 'must be an IPv4 network such as 10.50.0.0/16'),
  /** Docker's MTU option; an overlay gives its containers this minus 50 (VXLAN's headers). */
  mtu: z.number().int().min(576).max(65535).optional(),
  /** Swarm-scoped overlays: let plain `docker run` containers join (verify's probes do). */
  attachable: z.boolean().default(false),
  state: z.enum(['present', 'absent']).default('present'),
});

export type DockerNetworkParams = z.output<typeof params>;

export type NetworkFact =
  | { exists: false }
  | { exists: true; driver: string; subnets: string[]; mtu: number | null; attachable: boolean; managed: boolean; containers: number };

export interface DockerNetworkFacts {
  network: NetworkFact;
}

export const dockerNetwork = defineModule<DockerNetworkParams, DockerNetworkFacts>({
  name: 'docker_network',
  params,
  facts: (p) => ({
    network: {
      // Docker down must not read as "no such network": the plan would try to create it.
      command: [
        "docker info --format '{{.ServerVersion}}' >/dev/null || exit 3",
        `if out=$(docker network inspect --format '{{json .}}' ${shellQuote(p.name)} 2>/dev/null); then printf '%s\\n' "$out"; else echo absent; fi`,
      ].join('\n'),
      parse: parseNetwork,
    },
  }),
  plan(p, { network }) {
    const wanted = `${p.driver} network ${p.name} (${p.subnet}${p.mtu === undefined ? '' : `, MTU ${p.mtu}`})`;
    if (p.state === 'absent') {
      if (!network.exists) return ok(`no network ${p.name}`);
      if (!network.managed) return ok(`network ${p.name} was not made by meshctl (no ${MANAGED_LABEL} label): left alone`);
      return change(`remove network ${p.name}`, [run(shellJoin(['docker', 'network', 'rm', p.name]))]);
    }
    if (!network.exists) {
      const args = ['docker', 'network', 'create', '--driver', p.driver, '--subnet', p.subnet, '--label', `${MANAGED_LABEL}=true`];
      if (p.mtu !== undefined) args.push('--opt', `${MTU_OPTION}=${p.mtu}`);
      if (p.attachable) args.push('--attachable');
      return change(`create ${wanted}`, [run(shellJoin([...args, p.name]))]);
    }
    const differences = [
      network.driver === p.driver ? '' : `driver ${network.driver}`,
      isDeepStrictEqual(network.subnets, [p.subnet]) ? '' : `subnet ${network.subnets.join(', ') || 'none'}`,
      p.mtu === undefined || network.mtu === p.mtu ? '' : `MTU ${network.mtu ?? 'default'}`,
      !p.attachable || network.attachable ? '' : 'not attachable',
    ].filter(Boolean);
    if (differences.length > 0) {
      refuse(
        `network ${p.name} exists with ${differences.join(', ')}, not as wanted (${wanted}); meshctl never replaces a network ` +
          `(that would cut its ${network.containers} local container(s) and those of every other host): ` +
          `remove it yourself (docker network rm ${p.name}) or name another in the inventory`,
      );
    }
    return ok(`${wanted} exists`);
  },
});

interface InspectJson {
  Driver?: string;
  Attachable?: boolean;
  IPAM?: { Config?: { Subnet?: string }[] | null };
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
  Containers?: Record<string, unknown> | null;
}

export function parseNetwork(result: ExecResult): NetworkFact {
  if (result.code === 3) throw new FactParseError(`Docker does not answer: ${result.stderr.trim() || 'docker info failed'}`);
  if (result.code !== 0) throw new FactParseError(`cannot inspect the network (exit ${result.code}): ${result.stderr.trim()}`);
  const text = result.stdout.trim();
  if (text === 'absent') return { exists: false };
  let json: InspectJson;
  try {
    json = JSON.parse(text) as InspectJson;
  } catch {
    throw new FactParseError(`docker network inspect printed no JSON: ${text.slice(0, 200)}`);
  }
  const mtu = json.Options?.[MTU_OPTION];
  return {
    exists: true,
    driver: json.Driver ?? '',
    subnets: (json.IPAM?.Config ?? []).map((c) => c.Subnet ?? '').filter((s) => s !== ''),
    mtu: mtu === undefined ? null : Number(mtu),
    attachable: json.Attachable === true,
    managed: json.Labels?.[MANAGED_LABEL] === 'true',
    containers: Object.keys(json.Containers ?? {}).length,
  };
}
