// The outside router some backends expect on the physical subnet (l2: the containers' default
// gateway): one more systemd container of the sandbox, with an address on the underlay that
// answers, untagged or on one VLAN. This kernel has no 802.1Q devices and no bridge VLAN
// filtering, so a VLAN is served by Open vSwitch's userspace datapath: eth1 a trunk port, the
// address on an internal port tagged with the VLAN.
// Example: `await ensureRouter({ sandbox, container, image, management, underlay }, { vlan: 100 }, publicKey, knownHosts, log)`.
import type { SandboxRouter } from '../backends/index.js';
import { SandboxError } from '../errors.js';
import { runCommand } from './exec.js';
import { bringUpHost, type HostSpec } from './hosts.js';

/** The router's OVS bridge, and its internal port that holds the address on a VLAN. */
const BRIDGE = 'br-router';
const vlanPort = (vlan: number): string => `vlan${vlan}`;

export async function ensureRouter(
  spec: HostSpec,
  router: SandboxRouter,
  publicKey: string,
  knownHosts: string,
  log: (line: string) => void,
): Promise<void> {
  await bringUpHost(spec, publicKey, knownHosts);
  if (router.vlan === undefined) {
    log(`router: ${spec.underlay.address} on the underlay, untagged`);
    return;
  }
  const result = await runCommand(['docker', 'exec', spec.container, 'sh', '-c', vlanScript(spec.underlay.address, router.vlan)], {
    timeoutMs: 10 * 60_000,
  });
  if (result.code !== 0) {
    throw new SandboxError(`router ${spec.container}: could not answer on VLAN ${router.vlan}:\n${(result.stdout + result.stderr).trim().split('\n').slice(-15).join('\n')}`);
  }
  log(`router: ${spec.underlay.address} on the underlay, VLAN ${router.vlan}`);
}

/** Idempotent: a router already on the VLAN is left as it is. */
function vlanScript(address: string, vlan: number): string {
  const port = vlanPort(vlan);
  return `set -eu
export DEBIAN_FRONTEND=noninteractive
if ! command -v ovs-vsctl >/dev/null; then
  apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends openvswitch-switch >/dev/null
fi
systemctl start openvswitch-switch
ovs-vsctl --may-exist add-br ${BRIDGE} -- set bridge ${BRIDGE} datapath_type=netdev
ovs-vsctl --may-exist add-port ${BRIDGE} eth1
ovs-vsctl --may-exist add-port ${BRIDGE} ${port} tag=${vlan} -- set interface ${port} type=internal
i=0; until ip link show dev ${port} >/dev/null 2>&1; do i=$((i + 1)); [ $i -le 40 ] || exit 1; sleep 0.25; done
cidr=$(ip -4 -o addr show dev eth1 | sed -n 's/.* inet \\([0-9.\\/]*\\) .*/\\1/p')
if [ -n "$cidr" ]; then ip addr del "$cidr" dev eth1; ip addr replace "$cidr" dev ${port}; fi
ip -4 -o addr show dev ${port} | grep -q ' ${address}/' || { echo "${address} is not on ${port}" >&2; exit 1; }
ip link set dev ${port} up
`;
}
