// Every backend through the same life on sandbox hosts (test/e2e/lifecycle.ts): one row each.
import { describe } from 'vitest';
import { lifecycle, type BackendSpec } from './lifecycle.js';

/** After `down` on an OVS backend: no bridge, no boot unit, no sysctl file, eth1 has its address, no veth. */
const ovsClean = {
  command: [
    'ovs-vsctl list-br | wc -l',
    'test -e /etc/systemd/system/meshctl-mesh-links.service && echo unit || echo no-unit',
    'test -e /etc/sysctl.d/60-meshctl.conf && echo sysctl || echo no-sysctl',
    'ip -4 -o addr show dev eth1 | grep -c inet',
    'ip link show veth-mesh >/dev/null 2>&1 && echo veth || echo no-veth',
  ].join('; '),
  lines: ['0', 'no-unit', 'no-sysctl', '1', 'no-veth'],
};

const specs: BackendSpec[] = [
  { title: 'ovs-gre mesh', backend: 'ovs-gre', drift: 'ip link set veth-mesh nomaster', clean: ovsClean },
  { title: 'ovs-vxlan mesh', backend: 'ovs-vxlan', drift: 'ip route del 10.240.0.0/16 dev docker0', clean: ovsClean },
  { title: 'ovs-vxlan mesh, larger', backend: 'ovs-vxlan', hosts: 6, short: true },
];

const only = process.env.MESHCTL_E2E_BACKENDS?.split(',');
describe.each(specs.filter((spec) => only === undefined || only.includes(spec.backend)).map((s) => [s.title, s] as const))('%s', (_title, spec) => {
  lifecycle(spec);
});
