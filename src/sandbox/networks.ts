// Creates a sandbox's two Docker networks: management (NAT, for SSH and the Debian mirror) and
// underlay (no NAT: tunnels and routed container traffic only), on a free /24 pair. Example: `await createNetworks('meshctl-lab-3f2a1c')`.
import { SandboxError } from '../errors.js';
import { retryWithBackoff } from '../retry.js';
import { sandboxLabel, lines, networkExists } from './docker.js';
import { describeFailure, runChecked, runCommand } from './exec.js';
import type { SandboxNetwork } from './state.js';
import { pickSubnetPair } from './subnets.js';

export interface SandboxNetworks {
  management: SandboxNetwork;
  underlay: SandboxNetwork;
}

const attempts = 10;
const noFreePair = (): SandboxError =>
  new SandboxError('no free /24 pair left in 10.210.0.0/16 and 10.211.0.0/16: remove unused sandboxes (`meshctl sandbox down`)');

/** Another sandbox starting at the same moment took the pair first: the next attempt takes another. */
class PairTaken extends Error {}

export async function createNetworks(sandbox: string): Promise<SandboxNetworks> {
  const skip = new Set<number>();
  const createPair = async (): Promise<SandboxNetworks> => {
    const pair = pickSubnetPair(await takenSubnets(), skip);
    if (pair === undefined) throw noFreePair();
    const management = { name: `${sandbox}-mgmt`, subnet: pair.management };
    const underlay = { name: `${sandbox}-underlay`, subnet: pair.underlay };
    if (!(await ensureNetwork(sandbox, management, 'management'))) {
      skip.add(pair.index);
      throw new PairTaken();
    }
    if (!(await ensureNetwork(sandbox, underlay, 'underlay'))) {
      await runCommand(['docker', 'network', 'rm', management.name]);
      skip.add(pair.index);
      throw new PairTaken();
    }
    return { management, underlay };
  };
  return retryWithBackoff(createPair, { attempts, firstDelayMs: 50, maxDelayMs: 1_000, retryIf: (error) => error instanceof PairTaken }).catch(
    (error: unknown) => {
      throw error instanceof PairTaken ? noFreePair() : error;
    },
  );
}

/**
 * Creates the network unless it exists; false when its subnet overlaps one taken meanwhile. The
 * underlay is not `--internal`: Docker filters an internal network's bridged frames by address
 * (with br_netfilter, anything not from and to its subnet is dropped), which would drop host-gw's
 * routed container traffic, as no real switch does. Masquerading off instead keeps it from
 * reaching anything outside.
 */
export async function ensureNetwork(sandbox: string, network: SandboxNetwork, role: 'management' | 'underlay'): Promise<boolean> {
  if (await networkExists(network.name)) return true;
  const argv = [
    'docker',
    'network',
    'create',
    '--driver',
    'bridge',
    '--subnet',
    network.subnet,
    '--label',
    `${sandboxLabel}=${sandbox}`,
    ...(role === 'underlay' ? ['--opt', 'com.docker.network.bridge.enable_ip_masquerade=false'] : []),
    network.name,
  ];
  const result = await runCommand(argv);
  if (result.code === 0) return true;
  if (/overlap/i.test(result.stderr)) return false;
  throw new SandboxError(describeFailure(argv, result));
}

/** Subnets of all Docker networks, plus this machine's routes, which a sandbox must not shadow. */
export async function takenSubnets(): Promise<string[]> {
  const ids = lines(await runChecked(['docker', 'network', 'ls', '--quiet']));
  const docker =
    ids.length === 0
      ? []
      : // runCommand: a network removed since `ls` makes inspect fail, yet it still prints the others.
        lines(
          (await runCommand(['docker', 'network', 'inspect', '--format', '{{range .IPAM.Config}}{{.Subnet}}\n{{end}}', ...ids]))
            .stdout,
        );
  const routes = await runCommand(['ip', '-4', '-o', 'route', 'show']).catch(() => undefined);
  const routed = lines(routes?.stdout ?? '')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((dest) => dest.includes('/'));
  return [...docker, ...routed];
}

export async function removeNetworks(networks: readonly string[]): Promise<void> {
  for (const network of networks) {
    if (!(await networkExists(network))) continue;
    const result = await runCommand(['docker', 'network', 'rm', network]);
    if (result.code !== 0 && (await networkExists(network))) {
      throw new SandboxError(`could not remove network ${network}: ${result.stderr.trim()}; see \`docker network inspect ${network}\``);
    }
  }
}
