// The life of a mesh on sandbox hosts, through the CLI a user runs, the same for every backend:
// bad input touches nothing; an unreachable host leaves the others to be brought up without it;
// up → verify → up again changes nothing → drift
// seen by --check and repaired → reboot → verify → down → hosts as they were, verify fails.
// A backend is one BackendSpec (test/e2e/backends.test.ts), plus its own extra assertions.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, json, meshctl } from './cli.js';

export interface RunJson {
  ok: boolean;
  hosts: Record<string, { ok: number; changed: number; failed: number; unreachable: boolean; reason?: string; task?: string }>;
}
export interface MatrixJson {
  ok: boolean;
  sampled?: { peers_per_host: number; of: number };
  pairs: { from: string; to: string; ok: boolean; rtt_ms: number | null; tcp_ok: boolean; mtu_ok: boolean; throughput_mbps?: number | null; problem?: string }[];
  gateway?: { address: string; hosts: { host: string; ok: boolean; rtt_ms: number | null }[] };
}
export interface StatusJson {
  hosts: Record<string, { subnet: string; recorded: boolean; reachable: boolean; mesh_up: boolean | null; drift: { task: string; reason: string }[] }>;
}
export interface ExecJson {
  ok: boolean;
  hosts: Record<string, { stdout: string; stderr: string; code: number }>;
}

export interface Lab {
  inventory: string;
  dir: string;
  hosts: string[];
  /** Runs a shell command as root on the hosts (all, or a comma-separated --limit). */
  onHosts(command: string, limit?: string): Promise<ExecJson>;
}

export interface BackendSpec {
  /** The test's title, e.g. 'l2 with VLAN 100'. */
  title: string;
  backend: string;
  hosts?: number;
  /** `sandbox up --set` values. */
  sets?: string[];
  /** Only up, verify and a second up (for a larger mesh whose full life is tested elsewhere). */
  short?: boolean;
  /**
   * The mesh's own life only: up, verify, a second up, a reboot, down (the hosts clean, verify
   * failing) and --purge; the bad-input, partial-failure and drift tests run on the other rows.
   */
  core?: boolean;
  /** A change made by hand on node2 that `up --check` must report (1 task) and `up` repair. */
  drift?: string;
  /** A command run on every host after `down`, and the lines it must print: the host as it was. */
  clean?: { command: string; lines: string[] };
  /** The backend names a gateway every host's containers must reach (verify pings it). */
  gateway?: boolean;
  /** Also test the run lock: two runs at once, and a run killed while it holds the lock. */
  runLock?: boolean;
  /** More assertions once the mesh is up (before the second up). */
  whileUp?: (lab: Lab) => void;
  /** `sandbox up --suite` (default bookworm). */
  suite?: string;
  /**
   * `sandbox up --image-packages`: hosts from an image with these packages already installed
   * (services disabled), which skips the installs of the first `up`; the installs go untested.
   */
  imagePackages?: string[];
  /** Tasks `down --purge` changes per host when not 1 (a store's host also removes the store). */
  purgeChanges?: Record<string, number>;
  /** A command run on every host after `down --purge`, and the lines it must print. */
  purged?: { command: string; lines: string[] };
}

/** What a host's networking and meshctl's files look like: a run that changes nothing leaves it alone. */
const STATE_OF_HOST = [
  'ip -o link show | sed "s/ qlen.*//"',
  'ip -4 -o addr show',
  'ip -4 route show',
  'ovs-vsctl show 2>/dev/null | grep -v ovs_version',
  'cat /etc/docker/daemon.json /etc/sysctl.d/60-meshctl.conf 2>/dev/null',
  'ls -l /etc/systemd/system /usr/local/lib/meshctl 2>/dev/null',
].join('; ');

// node3 brings settings of its own, which `up` must keep and `down` give back as they were.
const OWN_DAEMON_JSON = '{\n  "log-level": "warn"\n}\n';
const OWN_ROUTE = '10.99.0.0/24';

export function lifecycle(spec: BackendSpec): void {
  const count = spec.hosts ?? 3;
  const hosts = Array.from({ length: count }, (_, i) => `node${i + 1}`);

  describe(`${spec.title} on ${count} sandbox hosts`, () => {
    const lab: Lab = {
      inventory: '',
      dir: '',
      hosts,
      onHosts: async (command, limit) => {
        const args = ['exec', '-i', lab.inventory, '--become', '--json', ...(limit ? ['--limit', limit] : []), '--', command];
        return json<ExecJson>(await meshctl(args));
      },
    };

    beforeAll(async () => {
      lab.dir = await mkdtemp(path.join(tmpdir(), `meshctl-e2e-${spec.backend}-`));
      lab.inventory = path.join(lab.dir, 'inventory.yaml');
      const sets = (spec.sets ?? []).flatMap((set) => ['--set', set]);
      const suite = spec.suite === undefined ? [] : ['--suite', spec.suite];
      const baked = spec.imagePackages === undefined ? [] : ['--image-packages', spec.imagePackages.join(',')];
      const up = await meshctl(['sandbox', 'up', '--hosts', String(count), '--backend', spec.backend, '--inventory', lab.inventory, ...suite, ...baked, ...sets]);
      expect(up.code, up.stderr).toBe(0);
    });

    afterAll(async () => {
      if (lab.inventory !== '') await meshctl(['sandbox', 'down', '--inventory', lab.inventory]);
      if (lab.dir !== '') await rm(lab.dir, { recursive: true, force: true });
    });

    // node3 brings settings of its own on the full rows only (it also starts out unreachable there).
    const ownSettings = spec.short !== true && spec.core !== true;
    if (ownSettings) badInputTouchesNothing(lab);

    it('brings the mesh up on every host', async () => {
      if (ownSettings) {
        const own = `printf %s '${OWN_DAEMON_JSON}' > /etc/docker-own.json && mkdir -p /etc/docker && cp /etc/docker-own.json /etc/docker/daemon.json && ip route add ${OWN_ROUTE} dev eth1`;
        expect((await lab.onHosts(own, 'node3')).ok).toBe(true);
      }
      const result = await meshctl(['up', lab.inventory, '--json']);
      const body = json<RunJson>(result);
      expect(body.ok, result.stderr).toBe(true);
      expect(result.code).toBe(0);
      for (const host of hosts) expect(body.hosts[host]).toMatchObject({ failed: 0, unreachable: false });
      // A full spec brought node1 and node2 up already, with node3 unreachable: now node3 joins.
      const joining = ownSettings ? 'node3' : 'node1';
      expect(body.hosts[joining]!.changed).toBeGreaterThan(2);
    });

    it('proves every ordered pair: ICMP, TCP and full-MTU probes', async () => {
      const body = await expectMatrixOk(lab, count);
      if (spec.gateway) {
        expect(body.gateway?.hosts.map((h) => h.host)).toEqual(hosts);
        for (const reached of body.gateway?.hosts ?? []) expect(reached.rtt_ms, reached.host).toBeGreaterThan(0);
      }
    });

    if (spec.whileUp) spec.whileUp(lab);

    it('changes nothing on a second up, and says so', async () => {
      const result = await meshctl(['up', lab.inventory]);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain('nothing changed');
      const body = json<RunJson>(await meshctl(['up', lab.inventory, '--json']));
      for (const host of hosts) expect(body.hosts[host]?.changed, host).toBe(0);
      const status = await meshctl(['status', lab.inventory, '--json']);
      expect(status.code, status.stdout + status.stderr).toBe(0);
      for (const host of hosts) {
        expect(json<StatusJson>(status).hosts[host], host).toMatchObject({ reachable: true, mesh_up: true, recorded: true, drift: [] });
      }
    });

    if (spec.runLock) runLockTakesTurns(lab);

    if (spec.short) return;

    if (ownSettings) {
      it('keeps the host\'s own Docker settings and routes while the mesh is up', async () => {
        const daemonJson = await lab.onHosts('cat /etc/docker/daemon.json', 'node3');
        expect(JSON.parse(daemonJson.hosts.node3?.stdout ?? '')).toMatchObject({ 'log-level': 'warn' });
        const route = await lab.onHosts(`ip -4 route show ${OWN_ROUTE}`, 'node3');
        expect(route.hosts.node3?.stdout).toContain(OWN_ROUTE);
      });
    }

    if (spec.drift !== undefined && ownSettings) {
      const drift = spec.drift;
      it('shows the plan in check mode without changing anything, then repairs the drift', async () => {
        expect((await lab.onHosts(drift, 'node2')).ok).toBe(true);
        const digest = async (): Promise<Record<string, string>> => {
          const state = await lab.onHosts(`{ ${STATE_OF_HOST}; } 2>&1 | sha256sum`);
          return Object.fromEntries(lab.hosts.map((host) => [host, state.hosts[host]?.stdout ?? '']));
        };
        const before = await digest();
        const plan = await meshctl(['plan', lab.inventory]);
        expect(plan.code, plan.stderr).toBe(0);
        expect(plan.stdout).toMatch(/node2/);
        expect(await digest(), 'meshctl plan changed a host').toEqual(before);
        const drifted = await meshctl(['status', lab.inventory, '--json']);
        expect(drifted.code).toBe(1);
        expect(json<StatusJson>(drifted).hosts.node2).toMatchObject({ reachable: true, mesh_up: false, drift: [expect.anything()] });
        expect(json<StatusJson>(drifted).hosts.node1).toMatchObject({ mesh_up: true });
        const check = json<RunJson>(await meshctl(['up', lab.inventory, '--check', '--json']));
        expect(check.hosts.node2?.changed).toBe(1);
        const again = json<RunJson>(await meshctl(['up', lab.inventory, '--check', '--json']));
        expect(again.hosts.node2?.changed, 'check mode changed the host').toBe(1);
        const repaired = json<RunJson>(await meshctl(['up', lab.inventory, '--json']));
        expect(repaired.hosts.node2?.changed).toBe(1);
        await expectMatrixOk(lab, count);
      });
    }

    it('survives a host reboot', async () => {
      const restart = await meshctl(['sandbox', 'restart', 'node2', '--inventory', lab.inventory]);
      expect(restart.code, restart.stderr).toBe(0);
      await expectMatrixOk(lab, count);
      const again = json<RunJson>(await meshctl(['up', lab.inventory, '--json']));
      expect(again.hosts.node2?.changed).toBe(0);
    });

    it('takes everything down again: each host as it was, and verify then fails', async () => {
      const down = await meshctl(['down', '-i', lab.inventory, '--json']);
      expect(json<RunJson>(down).ok, down.stdout + down.stderr).toBe(true);
      if (spec.clean !== undefined) {
        const state = await lab.onHosts(spec.clean.command);
        for (const host of hosts) expect(state.hosts[host]?.stdout.trim().split('\n'), host).toEqual(spec.clean.lines);
      }
      const files = await lab.onHosts(
        `cat /etc/docker/daemon.json 2>/dev/null || echo no-daemon-json; ip -4 -o route show ${OWN_ROUTE} | cut -d' ' -f1-3`,
      );
      for (const host of hosts) {
        const expected = host === 'node3' && ownSettings ? `${OWN_DAEMON_JSON}${OWN_ROUTE} dev eth1` : 'no-daemon-json';
        expect(files.hosts[host]?.stdout.trim(), host).toBe(expected.trim());
      }
      const verify = await meshctl(['verify', 'ping-matrix', '-i', lab.inventory, '--json', '--timeout', '10']);
      expect(verify.code).toBe(1);
      expect(json<MatrixJson>(verify).ok).toBe(false);
      const again = json<RunJson>(await meshctl(['down', '-i', lab.inventory, '--json']));
      for (const host of hosts) expect(again.hosts[host]?.changed, host).toBe(0);
    });

    it('removes the packages too with --purge', async () => {
      const purge = await meshctl(['down', '-i', lab.inventory, '--purge', '--json']);
      const body = json<RunJson>(purge);
      expect(body.ok, purge.stderr).toBe(true);
      for (const host of hosts) expect(body.hosts[host]?.changed, host).toBe(spec.purgeChanges?.[host] ?? 1);
      const left = await lab.onHosts("dpkg-query -W -f='${db:Status-Status} ' openvswitch-switch docker.io 2>/dev/null; echo");
      for (const host of hosts) expect(left.hosts[host]?.stdout).not.toMatch(/(^|\s)installed(\s|$)/);
      if (spec.purged !== undefined) {
        const state = await lab.onHosts(spec.purged.command);
        for (const host of hosts) expect(state.hosts[host]?.stdout.trim().split('\n'), host).toEqual(spec.purged.lines);
      }
    });
  });
}

export async function expectMatrixOk(lab: Lab, count: number): Promise<MatrixJson> {
  const result = await meshctl(['verify', 'ping-matrix', '-i', lab.inventory, '--json']);
  const body = json<MatrixJson>(result);
  expect(body.pairs).toHaveLength(count * (count - 1));
  // The JSON says which pairs failed; the text says why: fetched only when something failed.
  const why = body.ok ? '' : (await meshctl(['verify', 'ping-matrix', '-i', lab.inventory, '--timeout', '10'])).stdout;
  for (const pair of body.pairs) {
    expect(pair, `${pair.from} → ${pair.to}: ${pair.problem ?? ''}\n${why}`).toMatchObject({ ok: true, tcp_ok: true, mtu_ok: true });
    expect(pair.rtt_ms).toBeGreaterThan(0);
  }
  expect(body.ok).toBe(true);
  expect(result.code).toBe(0);
  return body;
}

/** Two runs at once take turns on each host; a run killed with SIGKILL leaves no lock behind. */
function runLockTakesTurns(lab: Lab): void {
  it('lets two runs at once take turns on every host, and a third changes nothing', async () => {
    const both = await Promise.all([meshctl(['up', lab.inventory, '--json']), meshctl(['up', lab.inventory, '--json'])]);
    for (const run of both) expect(json<RunJson>(run).ok, run.stdout + run.stderr).toBe(true);
    const third = json<RunJson>(await meshctl(['up', lab.inventory, '--json']));
    for (const host of lab.hosts) expect(third.hosts[host]?.changed, host).toBe(0);
  });

  it('leaves no lock behind when a run holding it is killed', async () => {
    const holding = spawn(process.execPath, [BIN, 'exec', '-i', lab.inventory, '--lock', '--limit', 'node1', '--', 'sleep 60'], { stdio: 'ignore' });
    try {
      const lockState = async (): Promise<string> =>
        (await lab.onHosts('flock -n /run/meshctl.lock true && echo free || echo held', 'node1')).hosts.node1?.stdout.trim() ?? '';
      await until(async () => (await lockState()) === 'held', 30_000);
      holding.kill('SIGKILL');
      await until(async () => (await lockState()) === 'free', 30_000);
    } finally {
      holding.kill('SIGKILL');
    }
    const after = await meshctl(['up', lab.inventory, '--json', '--lock-timeout', '5']);
    expect(json<RunJson>(after).ok, after.stdout + after.stderr).toBe(true);
  });
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not so within ${timeoutMs / 1000}s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Bad inventories and a wrong key: each refused, and no host touched. An unreachable host: the
 * others are brought up (with their tunnels toward it), it is named with the reason, exit 3.
 */
function badInputTouchesNothing(lab: Lab): void {
  it('refuses a bad inventory with file:line:column and exit 2, before any connection', async () => {
    const bad = path.join(lab.dir, 'bad.yaml');
    const text = await readFile(lab.inventory, 'utf8');
    await writeFile(bad, text.replace(/^mesh:\n/m, 'mesh:\n  bogus: 1\n  mtu: 1.5\n'));
    const result = await meshctl(['up', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`${bad}:\\d+:\\d+ mesh\\.mtu: `));
    expect(result.stderr).toMatch(new RegExp(`${bad}:\\d+:\\d+ mesh\\.bogus: unknown key`));
  });

  it('brings up the hosts it can reach when one is unreachable, and names that one with the reason (exit 3)', async () => {
    const partial = path.join(lab.dir, 'one-unreachable.yaml');
    const text = await readFile(lab.inventory, 'utf8');
    // .99 on the sandbox's own management network: nobody answers there. Its underlay address
    // stays right, so the others' tunnels toward node3 are the ones it will need.
    const unreachable = text.replace(/(name: node3\n\s+address: \d+\.\d+\.\d+)\.\d+/, '$1.99');
    await writeFile(partial, unreachable.replace(/^ssh:\n/m, 'ssh:\n  connect_timeout: 3\n'));
    const result = await meshctl(['up', partial, '--json']);
    expect(result.code, result.stdout + result.stderr).toBe(3);
    const body = json<RunJson>(result);
    expect(body.ok).toBe(false);
    expect(body.hosts.node3).toMatchObject({ ok: 0, changed: 0, failed: 0, unreachable: true });
    expect(body.hosts.node3?.reason).toMatch(/^could not be reached: \S/);
    const reached = lab.hosts.filter((host) => host !== 'node3');
    for (const host of reached) {
      expect(body.hosts[host], host).toMatchObject({ failed: 0, unreachable: false });
      expect(body.hosts[host]!.changed, host).toBeGreaterThan(0);
      expect(body.hosts[host]?.reason, host).toBeUndefined();
    }
    // Run again without --json: the others are converged now, and the message says what happened.
    const again = await meshctl(['up', partial]);
    expect(again.code, again.stdout + again.stderr).toBe(3);
    expect(again.stdout).toContain(`node3 could not be reached; the other ${reached.length} hosts were brought up.`);
    expect(again.stdout).toMatch(/^node3: could not be reached: \S/m);
  });

  it('refuses a wrong key with exit 3, naming the host', async () => {
    const wrongKey = path.join(lab.dir, 'wrong-key.yaml');
    const text = await readFile(lab.inventory, 'utf8');
    const keyFile = path.join(lab.dir, 'not-the-key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
    await writeFile(wrongKey, text.replace(/key: .*/, `key: ${keyFile}`));
    const result = await meshctl(['exec', '-i', wrongKey, '--', 'true']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/node1/);
    expect(result.stderr).not.toMatch(/PRIVATE KEY/);
  });
}
