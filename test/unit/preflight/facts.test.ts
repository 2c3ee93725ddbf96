// Preflight's parsers over real `ip` output, and the read of all its facts in one remote command.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAddresses, parseLinkMtu, parsePreflightFacts, parseRoutes } from '../../../src/preflight/facts.js';
import { readPreflightFacts } from '../../../src/preflight/run.js';
import type { ExecResult } from '../../../src/transport/connection.js';
import { FakeHost } from '../engine/fake-host.js';

// Debian 12, a host with Docker and a VPN (ip -4 route show).
const ROUTES = `default via 192.0.2.1 dev eth0 
10.8.0.0/16 via 10.8.0.1 dev tun0 proto static metric 50 
10.8.0.1 dev tun0 proto kernel scope link src 10.8.0.6 
172.17.0.0/16 dev docker0 proto kernel scope link src 172.17.0.1 linkdown 
blackhole 10.99.0.0/16 
192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.2 
`;
const LINK = '4: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1400 qdisc pfifo_fast state UP mode DEFAULT group default qlen 1000\\    link/ether 02:fc:00:00:00:01 brd ff:ff:ff:ff:ff:ff\n';
const ADDRESSES = `4: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever preferred_lft forever
4: eth0    inet 192.0.2.9/32 scope global eth0\\       valid_lft forever preferred_lft forever
`;

const result = (stdout: string, code = 0, stderr = ''): ExecResult => ({ stdout, stderr, code, signal: null });

describe('the preflight parsers', () => {
  it('read each route: its destination (a lone address as /32, a type word skipped) and its device', () => {
    expect(parseRoutes(ROUTES).map(({ destination, device }) => [destination, device])).toEqual([
      ['default', 'eth0'],
      ['10.8.0.0/16', 'tun0'],
      ['10.8.0.1/32', 'tun0'],
      ['172.17.0.0/16', 'docker0'],
      ['10.99.0.0/16', undefined],
      ['192.0.2.0/24', 'eth0'],
    ]);
  });

  it("read the link's MTU, and nothing from what ip prints for a missing one", () => {
    expect(parseLinkMtu(LINK)).toBe(1400);
    expect(parseLinkMtu('')).toBeUndefined();
  });

  it('read every IPv4 address on the link', () => {
    expect(parseAddresses(ADDRESSES)).toEqual(['192.0.2.2/24', '192.0.2.9/32']);
  });

  it('take an empty machine-id or a failed command as unknown, and a missing link as no underlay', () => {
    const facts = parsePreflightFacts({
      machineId: result('\n'),
      hostname: result('', 1, 'hostname: not found'),
      routes: result(ROUTES),
      link: result('', 1, 'Device "eth9" does not exist.\n'),
      addresses: result('', 1, 'Device "eth9" does not exist.\n'),
    });
    expect(facts).toMatchObject({ machineId: undefined, hostname: undefined, underlay: undefined });
    expect(facts.routes).toHaveLength(6);
  });
});

describe('readPreflightFacts', () => {
  // The fake host runs scripts here; `ip` and `hostname` are its own, the machine-id this machine's.
  const fakeIp = `#!/bin/sh
case "$*" in
  '-4 route show') printf '%s' '${ROUTES}' ;;
  '-o link show dev eth1') printf '%s' '${LINK}' ;;
  '-4 -o addr show dev eth1') printf '%s' '${ADDRESSES}' ;;
  *) echo "Device \\"$6\\" does not exist." >&2; exit 1 ;;
esac
`;
  const commands = { ip: fakeIp, hostname: '#!/bin/sh\necho web-1\n' };

  it('reads every fact in one remote command', async () => {
    const host = new FakeHost('pf', {}, commands);
    const read = await readPreflightFacts(host, 'eth1');
    expect(host.calls).toHaveLength(1);
    const machineId = existsSync('/etc/machine-id') ? readFileSync('/etc/machine-id', 'utf8').trim() || undefined : undefined;
    expect(read).toEqual({
      ok: true,
      facts: {
        machineId,
        hostname: 'web-1',
        routes: parseRoutes(ROUTES),
        underlay: { mtu: 1400, addresses: ['192.0.2.2/24', '192.0.2.9/32'] },
      },
    });
  });

  it('quotes the interface and sees a missing one as missing', async () => {
    const read = await readPreflightFacts(new FakeHost('pf', {}, commands), "eth1'; touch preflight-injected");
    expect(read.ok && read.facts.underlay).toBeUndefined();
    expect(existsSync('preflight-injected')).toBe(false);
  });

  it('says why when the batch cannot finish', async () => {
    const read = await readPreflightFacts(new FakeHost('pf', {}, { mktemp: '#!/bin/sh\nexit 1\n' }), 'eth1');
    expect(read).toMatchObject({ ok: false, why: expect.stringContaining('reading the host') });
  });
});
