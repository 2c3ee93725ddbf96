// Packages shipped from the controller (`ovs.source` and `docker.source: { packages: DIR }`) on
// sandbox hosts, as an air-gapped site would run it: Debian's own openvswitch and docker.io .debs
// fetched once into a directory here, plus a tiny package of our own that no repository has (its
// presence on a host proves the directory, not a mirror, was installed from). The GRE mesh runs
// and verifies on them; a second `up` uploads and installs nothing; `down --purge` removes them.
import { readFile, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { $ } from 'zx';
import { json, meshctl } from './cli.js';
import { expectMatrixOk, type ExecJson, type Lab, type RunJson } from './lifecycle.js';

const OWN_PACKAGE = new URL('../unit/packages/ship/meshctl-hello_1.2-3_all.deb', import.meta.url).pathname;
const SHIPPED = ['openvswitch-switch', 'openvswitch-common', 'docker.io', 'meshctl-hello'];

describe.runIf(process.env.MESHCTL_E2E_BACKENDS === undefined || process.env.MESHCTL_E2E_BACKENDS.split(',').includes('ship'))('shipped packages', () => {
  let dir = '';
  let inventory = '';
  const hosts = ['node1', 'node2'];
  const onHosts = async (command: string): Promise<ExecJson> =>
    json<ExecJson>(await meshctl(['exec', '-i', inventory, '--become', '--json', '--', 'sh', '-c', command]));
  const lab = (): Lab => ({ inventory, dir, hosts, onHosts: (command) => onHosts(command) });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'meshctl-e2e-ship-'));
    inventory = path.join(dir, 'inventory.yaml');
    const up = await meshctl(['sandbox', 'up', '--hosts', '2', '--backend', 'ovs-gre', '--inventory', inventory]);
    expect(up.code, up.stderr).toBe(0);
    // The packages, fetched on a sandbox host from Debian's mirror and copied here.
    const fetched = await meshctl(['exec', '-i', inventory, '--limit', 'node1', '--become', '--', 'sh', '-c',
      'rm -rf /tmp/ship && mkdir /tmp/ship && cd /tmp/ship && apt-get -qq update && apt-get -qq download openvswitch-switch openvswitch-common docker.io && ls'], { timeoutMs: 300_000 });
    expect(fetched.code, fetched.stdout + fetched.stderr).toBe(0);
    const sandbox = JSON.parse(await readFile(path.join(dir, '.meshctl-sandbox', 'inventory', 'sandbox.json'), 'utf8')) as { hosts: { name: string; container: string }[] };
    const node1 = sandbox.hosts.find((h) => h.name === 'node1')?.container ?? '';
    const ship = path.join(dir, 'ship');
    await mkdir(ship);
    await $`docker cp ${`${node1}:/tmp/ship/.`} ${ship}`.quiet();
    await mkdir(path.join(ship, 'ovs'));
    await mkdir(path.join(ship, 'docker'));
    await $`sh -c ${`cd ${ship} && mv openvswitch-*.deb ovs/ && mv docker.io_*.deb docker/`}`.quiet();
    await copyFile(OWN_PACKAGE, path.join(ship, 'ovs', path.basename(OWN_PACKAGE)));
    const text = await readFile(inventory, 'utf8');
    await writeFile(inventory, `${text}\novs:\n  source: { packages: ship/ovs }\ndocker:\n  source: { packages: ship/docker }\n`);
  }, 600_000);
  afterAll(async () => {
    if (inventory !== '') await meshctl(['sandbox', 'down', '--inventory', inventory]);
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('brings the GRE mesh up on the shipped packages, holds them, and verify passes', async () => {
    const up = await meshctl(['up', inventory, '--json'], { timeoutMs: 600_000 });
    expect(json<RunJson>(up).ok, up.stdout + up.stderr).toBe(true);
    const state = await onHosts(`dpkg-query -W -f '\${Package} \${Version}\\n' ${SHIPPED.join(' ')}; echo HELD; apt-mark showhold`);
    for (const host of hosts) {
      const out = state.hosts[host]?.stdout ?? '';
      expect(out, host).toMatch(/^meshctl-hello 1\.2-3$/m);
      const [, held = ''] = out.split('HELD\n');
      expect(held.trim().split('\n').sort(), host).toEqual([...SHIPPED].sort());
      // Nothing waits in the upload directory once installed.
      expect((await onHosts('ls /var/cache/meshctl/packages | wc -l')).hosts[host]?.stdout.trim(), host).toBe('0');
    }
    await expectMatrixOk(lab(), hosts.length);
  }, 700_000);

  it('uploads and installs nothing on a second up', async () => {
    const plan = await meshctl(['plan', inventory, '--json']);
    expect(plan.stdout).not.toContain('"upload"');
    const again = json<RunJson>(await meshctl(['up', inventory, '--json']));
    for (const host of hosts) expect(again.hosts[host]?.changed, host).toBe(0);
  });

  it('removes the shipped packages with down --purge', async () => {
    const down = await meshctl(['down', '-i', inventory, '--purge', '--json']);
    expect(json<RunJson>(down).ok, down.stdout + down.stderr).toBe(true);
    const left = await onHosts(`dpkg-query -W -f '\${Package} \${db:Status-Status}\\n' ${SHIPPED.join(' ')} 2>/dev/null; true`);
    for (const host of hosts) expect(left.hosts[host]?.stdout, host).not.toMatch(/ installed$/m);
  });
});
