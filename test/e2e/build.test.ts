// `meshctl build ovs` for real on sandbox hosts: Debian's own openvswitch source package built as
// .debs on one host, a second build a cache hit; `up` with `ovs.source: build` on three hosts runs
// the GRE mesh on the built packages; `--format rpm` makes RPMs that rpm reads. A source build
// takes a long time on a small machine, so it runs only when MESHCTL_E2E_BACKENDS names `build`
// (never in the default run): MESHCTL_E2E_BACKENDS=build npx vitest run --project e2e test/e2e/build.test.ts
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { $ } from 'zx';
import { json, meshctl, type CliResult } from './cli.js';
import { expectMatrixOk, type ExecJson, type Lab, type RunJson } from './lifecycle.js';

const HOUR = 3_600_000;

describe.runIf((process.env.MESHCTL_E2E_BACKENDS ?? '').split(',').includes('build'))('build ovs', () => {
  let dir = '';
  let inventory = '';
  let env: NodeJS.ProcessEnv = {};
  const hosts = ['node1', 'node2', 'node3'];
  const onHosts = async (command: string): Promise<ExecJson> =>
    json<ExecJson>(await meshctl(['exec', '-i', inventory, '--become', '--json', '--', 'sh', '-c', command]));
  const lab = (): Lab => ({ inventory, dir, hosts, onHosts: (command) => onHosts(command) });
  const timed = async (args: string[], timeoutMs: number): Promise<CliResult & { seconds: number }> => {
    const started = Date.now();
    const result = await meshctl(args, { env, timeoutMs });
    const seconds = (Date.now() - started) / 1000;
    // The times the issue asks to note.
    process.stderr.write(`meshctl ${args.join(' ')}: ${seconds.toFixed(0)} s\n`);
    return { ...result, seconds };
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'meshctl-e2e-build-'));
    inventory = path.join(dir, 'inventory.yaml');
    env = { ...process.env, XDG_CACHE_HOME: path.join(dir, 'cache') };
    const up = await meshctl(['sandbox', 'up', '--hosts', '3', '--backend', 'ovs-gre', '--inventory', inventory]);
    expect(up.code, up.stderr).toBe(0);
  }, 600_000);
  afterAll(async () => {
    if (inventory !== '') await meshctl(['sandbox', 'down', '--inventory', inventory]);
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it("builds .debs from the distribution's source package on the build host", async () => {
    const out = path.join(dir, 'out-deb');
    const build = await timed(['build', 'ovs', '-i', inventory, '--format', 'deb', '--out', out], 3 * HOUR);
    expect(build.code, build.stdout + build.stderr.slice(-5000)).toBe(0);
    const files = await readdir(out);
    expect(files).toEqual(expect.arrayContaining([expect.stringMatching(/^openvswitch-switch_.*\.deb$/), expect.stringMatching(/^openvswitch-common_.*\.deb$/)]));
    expect(files.filter((file) => /dbgsym|dkms/.test(file))).toEqual([]);
    // Only the build host installed build dependencies.
    const tools = await onHosts('command -v dpkg-buildpackage || echo none');
    expect(tools.hosts['node1']?.stdout.trim()).not.toBe('none');
    for (const host of ['node2', 'node3']) expect(tools.hosts[host]?.stdout.trim(), host).toBe('none');
  }, 3 * HOUR);

  it('is a cache hit the second time: seconds, nothing rebuilt', async () => {
    const again = await timed(['build', 'ovs', '-i', inventory, '--format', 'deb', '--out', path.join(dir, 'out-deb-again')], 300_000);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout + again.stderr).toMatch(/cache hit/);
    expect(again.stderr).not.toMatch(/dpkg-buildpackage/);
    expect(again.seconds).toBeLessThan(30);
    expect((await readdir(path.join(dir, 'out-deb-again'))).sort()).toEqual((await readdir(path.join(dir, 'out-deb'))).sort());
  }, 300_000);

  it('brings the GRE mesh up on the built packages with ovs.source: build; the hosts report the built version', async () => {
    const text = await readFile(inventory, 'utf8');
    await writeFile(inventory, `${text}\novs:\n  source: build\n`);
    const up = await timed(['up', inventory, '--json'], HOUR);
    expect(json<RunJson>(up).ok, up.stdout + up.stderr.slice(-5000)).toBe(true);
    expect(up.stderr).toMatch(/cache hit/);
    const switchDeb = (await readdir(path.join(dir, 'out-deb'))).find((file) => file.startsWith('openvswitch-switch_')) ?? '';
    const builtVersion = switchDeb.split('_')[1] ?? '';
    const versions = await onHosts("dpkg-query -W -f '${Version}' openvswitch-switch; echo; apt-mark showhold");
    for (const host of hosts) {
      const [version, ...held] = (versions.hosts[host]?.stdout ?? '').split('\n');
      expect(version, host).toBe(builtVersion);
      // Held, so that apt upgrade keeps the build.
      expect(held, host).toContain('openvswitch-switch');
    }
    await expectMatrixOk(lab(), hosts.length);
    const again = await timed(['up', inventory, '--json'], 600_000);
    for (const host of hosts) expect(json<RunJson>(again).hosts[host]?.changed, host).toBe(0);
  }, HOUR);

  it('builds RPMs with --format rpm that rpm -qpi reads', async () => {
    const out = path.join(dir, 'out-rpm');
    const build = await timed(['build', 'ovs', '-i', inventory, '--format', 'rpm', '--out', out], 3 * HOUR);
    expect(build.code, build.stdout + build.stderr.slice(-5000)).toBe(0);
    const rpms = (await readdir(out)).filter((file) => file.endsWith('.rpm'));
    const main = rpms.find((file) => /^openvswitch-\d/.test(file));
    expect(main, rpms.join(', ')).toBeDefined();
    const sandbox = JSON.parse(await readFile(path.join(dir, '.meshctl-sandbox', 'inventory', 'sandbox.json'), 'utf8')) as { hosts: { name: string; container: string }[] };
    const node1 = sandbox.hosts.find((h) => h.name === 'node1')?.container ?? '';
    await $`docker cp ${path.join(out, main ?? '')} ${`${node1}:/tmp/${main ?? ''}`}`.quiet();
    const info = await meshctl(['exec', '-i', inventory, '--limit', 'node1', '--json', '--', 'sh', '-c', `rpm -qpi /tmp/${main ?? ''} && rpm -qpR /tmp/${main ?? ''} && rpm -qpl /tmp/${main ?? ''} | grep -c ovs-vswitchd`]);
    const stdout = json<ExecJson>(info).hosts['node1']?.stdout ?? '';
    expect(stdout).toMatch(/^Name\s*: openvswitch$/m);
    expect(stdout).not.toMatch(/kmod/);
  }, 3 * HOUR);
});
