// Two hosts and a container on each, in network namespaces, for running vxlan_routes as Linux
// runs it: node1 and node2 are joined by a veth (eth1: 10.211.1.11/24 and .12/24, the underlay),
// each has docker0 with its subnet's gateway (10.240.1.1/24, 10.240.2.1/24) as Docker leaves it
// with `bip`, and one container (10.240.N.2, MTU 1500) behind it, serving a bulk transfer. A
// container reaches the other host's only through what the module makes. Root only; everything
// lives in the namespaces and one temporary folder (the script, subnet.env), gone on dispose().
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExecResult } from '../../../src/transport/connection.js';

export interface LabHost {
  name: string;
  ns: string;
  container: string;
  underlay: string;
  subnet: string;
  /** The container's address. */
  address: string;
}

let labs = 0;
const PORT = 7777;
// Many full-size TCP segments: with a device MTU the underlay cannot carry, small packets pass
// and these are dropped (ping works, big transfers hang).
const BULK_BYTES = 256 * 1024;

export class VxlanLab {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'meshctl-vxlan-lab-'));
  readonly hosts: [LabHost, LabHost];
  private readonly servers: ChildProcess[] = [];

  constructor() {
    labs += 1;
    const prefix = `meshctl-vx-${process.pid}-${labs}`;
    const host = (n: number): LabHost => ({
      name: `node${n}`,
      ns: `${prefix}-node${n}`,
      container: `${prefix}-ctr${n}`,
      underlay: `10.211.1.${10 + n}`,
      subnet: `10.240.${n}.0/24`,
      address: `10.240.${n}.2`,
    });
    this.hosts = [host(1), host(2)];
  }

  async build(): Promise<this> {
    const [a, b] = this.hosts;
    for (const h of this.hosts) {
      ip('netns', 'add', h.ns);
      ip('netns', 'add', h.container);
    }
    ip('-n', a.ns, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1', 'netns', b.ns);
    for (const h of this.hosts) {
      const gateway = h.subnet.replace(/0\/24$/, '1');
      ip('-n', h.ns, 'link', 'add', 'veth-ctr', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.container);
      this.must(
        h.ns,
        [
          'ip link set lo up',
          `ip addr add ${h.underlay}/24 dev eth1`,
          'ip link set eth1 up',
          'sysctl -qw net.ipv4.ip_forward=1',
          'ip link add name docker0 type bridge',
          `ip addr add ${gateway}/24 dev docker0`,
          'ip link set docker0 up',
          'ip link set veth-ctr master docker0',
          'ip link set veth-ctr up',
        ].join(' && '),
      );
      this.must(h.container, `ip link set lo up && ip addr add ${h.address}/24 dev eth0 && ip link set eth0 up && ip route add default via ${gateway}`);
      await this.startServer(h);
    }
    return this;
  }

  dispose(): void {
    for (const server of this.servers) server.kill();
    for (const h of this.hosts) {
      spawnSync('ip', ['netns', 'del', h.ns]);
      spawnSync('ip', ['netns', 'del', h.container]);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  run(ns: string, script: string): ExecResult {
    const result = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', script], { encoding: 'utf8', timeout: 60_000 });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr, signal: result.signal };
  }

  must(ns: string, script: string): string {
    const result = this.run(ns, script);
    if (result.code !== 0) throw new Error(`in ${ns}: ${script}\n${result.stderr}`);
    return result.stdout;
  }

  /** Whether `from`'s container receives the whole bulk transfer from `to`'s within the time. */
  reaches(from: LabHost, to: LabHost, timeoutMs = 5000): boolean {
    const client = `let got = 0; const s = require('net').connect({ host: process.argv[1], port: ${PORT} });
      s.setTimeout(${timeoutMs}, () => process.exit(1)); s.on('data', (d) => { got += d.length; }); s.on('error', () => process.exit(1));
      s.on('end', () => process.exit(got === ${BULK_BYTES} ? 0 : 1));`;
    return spawnSync('ip', ['netns', 'exec', from.container, process.execPath, '-e', client, to.address], { timeout: timeoutMs + 5000 }).status === 0;
  }

  /** The source address `to`'s container sees on a connection from `from`'s (undefined: no answer). */
  seenAs(from: LabHost, to: LabHost): string | undefined {
    const client = `let got = ''; const s = require('net').connect({ host: process.argv[1], port: ${PORT + 1} });
      s.setTimeout(5000, () => process.exit(1)); s.on('data', (d) => { got += d; }); s.on('error', () => process.exit(1));
      s.on('end', () => { console.log(got); process.exit(0); });`;
    const result = spawnSync('ip', ['netns', 'exec', from.container, process.execPath, '-e', client, to.address], { encoding: 'utf8', timeout: 10_000 });
    return result.status === 0 ? result.stdout.trim() : undefined;
  }

  private async startServer(h: LabHost): Promise<void> {
    // On PORT the bulk transfer; on PORT + 1 the address the connection came from.
    const code = `const net = require('net'); const bulk = Buffer.alloc(${BULK_BYTES}, 120);
      net.createServer((s) => { s.on('error', () => {}); s.end(bulk); }).listen(${PORT}, '0.0.0.0', () => {
        net.createServer((s) => { s.on('error', () => {}); s.end(s.remoteAddress.replace(/^::ffff:/, '')); }).listen(${PORT + 1}, '0.0.0.0', () => console.log('listening'));
      });`;
    const server = spawn('ip', ['netns', 'exec', h.container, process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.stdout.once('data', () => resolve());
      server.once('exit', (status) => reject(new Error(`the server in ${h.container} exited (${status})`)));
    });
  }
}

function ip(...args: string[]): void {
  const result = spawnSync('ip', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ip ${args.join(' ')}: ${result.error?.message ?? result.stderr}`);
}

/** Why these tests cannot run here, or undefined. */
export function vxlanLabUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'these tests build network namespaces and need root: run the unit tests as root (CI does)';
  for (const tool of [['ip', '-V'], ['bridge', '-V'], ['iptables', '-V']]) {
    if (spawnSync(tool[0] as string, tool.slice(1)).status !== 0) return `${tool[0]} is not installed`;
  }
  return undefined;
}
