// A real host and its physical subnet in two network namespaces, for running the l2_uplink script
// as Linux runs it: the host has eth1 (10.211.1.11/24, a default route via 10.211.1.1 and a static
// route to 10.99.0.0/16 via 10.211.1.254) and docker0 as Docker leaves it (172.17.0.1/16); the
// other end of eth1 (uplink0) holds both gateways and, behind them, 192.0.2.1 and 10.99.0.1, which
// the host reaches only through those routes. With `vlan`, each side runs its own ovsdb-server and
// ovs-vswitchd (netdev datapath, private sockets): eth1 is a trunk port of br-l2 and the gateways
// sit on VLAN 100 only, so the host reaches them only when its traffic is tagged.
// Needs root. Everything lives in the two namespaces and one temporary folder, gone on dispose().
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface LinkState {
  addrs: string[];
  mac: string;
  mtu: number;
  up: boolean;
  master?: string;
}
export interface HostState {
  links: Record<string, LinkState>;
  /** `ip -4 route` lines, sorted. */
  routes: string[];
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Behind the default route (via 10.211.1.1) and behind the static route (via 10.211.1.254). */
export const BEHIND_DEFAULT = '192.0.2.1';
export const BEHIND_STATIC = '10.99.0.1';
const PORT = 7777;

let labs = 0;

export class L2Lab {
  readonly host: string;
  readonly wire: string;
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'meshctl-l2-lab-'));
  private readonly daemons: string[] = [];
  private server: ChildProcess | undefined;

  constructor(readonly vlan = false) {
    labs += 1;
    this.host = `meshctl-l2-${process.pid}-${labs}-host`;
    this.wire = `meshctl-l2-${process.pid}-${labs}-wire`;
  }

  async build(): Promise<this> {
    ip('netns', 'add', this.host);
    ip('netns', 'add', this.wire);
    ip('-n', this.host, 'link', 'add', 'name', 'eth1', 'type', 'veth', 'peer', 'name', 'uplink0', 'netns', this.wire);
    this.must(this.wire, `ip link set lo up && ip link set uplink0 up && ip addr add ${BEHIND_DEFAULT}/32 dev lo && ip addr add ${BEHIND_STATIC}/32 dev lo`);
    this.must(
      this.host,
      [
        'ip link set lo up',
        'ip addr add 10.211.1.11/24 dev eth1',
        'ip link set eth1 up',
        'ip route add default via 10.211.1.1 dev eth1 proto static',
        'ip route add 10.99.0.0/16 via 10.211.1.254 dev eth1',
        'ip link add name docker0 type bridge',
        'ip addr add 172.17.0.1/16 dev docker0',
        'ip link set docker0 up',
      ].join(' && '),
    );
    const gateways = 'ip addr add 10.211.1.1/24 dev GW && ip addr add 10.211.1.254/24 dev GW && ip link set GW up';
    if (this.vlan) {
      this.startOvs(this.host);
      this.startOvs(this.wire);
      this.must(this.host, 'ovs-vsctl add-br br-l2 -- set bridge br-l2 datapath_type=netdev && ovs-vsctl add-port br-l2 eth1');
      this.must(
        this.wire,
        `ovs-vsctl add-br br-wire -- set bridge br-wire datapath_type=netdev && ovs-vsctl add-port br-wire uplink0 && ovs-vsctl add-port br-wire gw100 tag=100 -- set interface gw100 type=internal && ${gateways.replaceAll('GW', 'gw100')}`,
      );
    } else {
      this.must(this.wire, gateways.replaceAll('GW', 'uplink0'));
    }
    await this.startServer();
    return this;
  }

  dispose(): void {
    this.server?.kill();
    for (const pidfile of this.daemons) {
      try {
        process.kill(Number(readFileSync(pidfile, 'utf8').trim()));
      } catch {
        // already gone
      }
    }
    spawnSync('ip', ['netns', 'del', this.host]);
    spawnSync('ip', ['netns', 'del', this.wire]);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A shell script in a namespace, with this lab's Open vSwitch (if any) as the default one. */
  run(ns: string, script: string, env: Record<string, string> = {}): RunResult {
    const result: SpawnSyncReturns<string> = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', script], {
      encoding: 'utf8',
      env: { ...process.env, OVS_RUNDIR: this.ovsDir(ns), ...env },
      timeout: 60_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  must(ns: string, script: string): string {
    const result = this.run(ns, script);
    if (result.code !== 0) throw new Error(`in ${ns}: ${script}\n${result.stderr}`);
    return result.stdout;
  }

  /** The host's links (those given) and routes, as Linux has them. */
  read(...names: string[]): HostState {
    const links = JSON.parse(this.must(this.host, 'ip -j link show')) as { ifname: string; address: string; mtu: number; flags: string[]; master?: string }[];
    const addrs = JSON.parse(this.must(this.host, 'ip -j -4 addr show')) as { ifname: string; addr_info: { local: string; prefixlen: number }[] }[];
    const state: HostState = { links: {}, routes: this.must(this.host, 'ip -4 route show').split('\n').map((l) => l.trim()).filter(Boolean).sort() };
    for (const link of links.filter((l) => names.includes(l.ifname))) {
      const own = addrs.find((a) => a.ifname === link.ifname)?.addr_info ?? [];
      state.links[link.ifname] = {
        addrs: own.map((a) => `${a.local}/${a.prefixlen}`),
        mac: link.address,
        mtu: link.mtu,
        up: link.flags.includes('UP'),
        ...(link.master === undefined ? {} : { master: link.master }),
      };
    }
    return state;
  }

  /** Whether the host gets an answer from `address` on the wire side (a TCP round trip). */
  reaches(address: string, { attempts = 3, timeoutMs = 1000 } = {}): boolean {
    const client = `const s = require('net').connect({ host: process.argv[1], port: ${PORT}, timeout: ${timeoutMs} });
      s.on('data', () => process.exit(0)); s.on('timeout', () => process.exit(1)); s.on('error', () => process.exit(1));`;
    for (let i = 0; i < attempts; i++) {
      if (spawnSync('ip', ['netns', 'exec', this.host, process.execPath, '-e', client, address], { timeout: 5000 }).status === 0) return true;
    }
    return false;
  }

  /** Stops ovs-vswitchd on the host and starts it again (as at boot), keeping its database. */
  restartVswitchd(): void {
    const pidfile = path.join(this.ovsDir(this.host), 'ovs-vswitchd.pid');
    process.kill(Number(readFileSync(pidfile, 'utf8').trim()));
    spawnSync('sleep', ['0.5']);
    this.startVswitchd(this.host);
  }

  private ovsDir(ns: string): string {
    return path.join(this.dir, ns === this.host ? 'ovs-host' : 'ovs-wire');
  }

  private startOvs(ns: string): void {
    const dir = this.ovsDir(ns);
    const db = path.join(dir, 'conf.db');
    must('mkdir', ['-p', dir]);
    must('ovsdb-tool', ['create', db, '/usr/share/openvswitch/vswitch.ovsschema']);
    must('ovsdb-server', [db, `--remote=punix:${dir}/db.sock`, `--pidfile=${dir}/ovsdb-server.pid`, '--detach', `--log-file=${dir}/ovsdb-server.log`, '--no-chdir'], {
      OVS_RUNDIR: dir,
    });
    this.daemons.push(`${dir}/ovsdb-server.pid`);
    must('ovs-vsctl', ['--no-wait', 'init'], { OVS_RUNDIR: dir });
    this.startVswitchd(ns);
  }

  private startVswitchd(ns: string): void {
    const dir = this.ovsDir(ns);
    must('ip', ['netns', 'exec', ns, 'ovs-vswitchd', `unix:${dir}/db.sock`, `--pidfile=${dir}/ovs-vswitchd.pid`, '--detach', `--log-file=${dir}/ovs-vswitchd.log`, '--no-chdir'], {
      OVS_RUNDIR: dir,
    });
    if (!this.daemons.includes(`${dir}/ovs-vswitchd.pid`)) this.daemons.push(`${dir}/ovs-vswitchd.pid`);
  }

  /** A server on the wire side answering every connection, so `reaches` is a real round trip. */
  private async startServer(): Promise<void> {
    const code = `require('net').createServer((s) => s.end('pong')).listen(${PORT}, '0.0.0.0', () => console.log('listening'));`;
    const server = spawn('ip', ['netns', 'exec', this.wire, process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.stdout.once('data', () => resolve());
      server.once('exit', (status) => reject(new Error(`the wire's server exited (${status})`)));
    });
  }
}

function ip(...args: string[]): void {
  must('ip', args);
}

function must(command: string, args: string[], env: Record<string, string> = {}): void {
  const result = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.error?.message ?? result.stderr}`);
}

/** Why these tests cannot run here, or undefined. */
export function labUnavailable(vlan: boolean): string | undefined {
  if (process.getuid?.() !== 0) return 'these tests build network namespaces and need root: run the unit tests as root (CI does)';
  if (spawnSync('ip', ['-V']).status !== 0) return 'iproute2 (`ip`) is not installed';
  if (vlan && spawnSync('ovs-vswitchd', ['--version']).status !== 0) return 'Open vSwitch is not installed (apt-get install openvswitch-switch)';
  return undefined;
}
