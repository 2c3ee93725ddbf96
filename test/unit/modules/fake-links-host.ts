// A host for the mesh_links script without a kernel: `ip`, `ovs-vsctl`, `ethtool` and the
// /sys/class/net reads are the fakes in fake-links-host/, over links and OVS ports kept as files in
// a temporary folder. The script runs with only those and a few text tools on PATH, so nothing
// real (iptables, the host's own links) is ever touched, and what it did is read back as state.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecResult } from '../../../src/transport/connection.js';

const fakes = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fake-links-host');
const FAKES = ['ip', 'ovs-vsctl', 'ethtool', 'cat', 'readlink', 'sleep'];
const REAL_TOOLS = ['sh', 'sed', 'grep', 'tr', 'basename'];

export interface FakeLink {
  mtu?: number;
  up?: boolean;
  addrs?: string[];
  /** The bridge this link is a port of. */
  master?: string;
  /** The other end of a veth pair. */
  peer?: string;
  txChecksumOff?: boolean;
}

export interface HostState {
  links: Record<string, FakeLink>;
  /** OVS bridges and their ports. */
  ovs: Record<string, string[]>;
  /** Routes besides the kernel's own, as `ip route` takes them: `default via 10.211.1.1 dev eth1`. */
  routes?: string[];
}

let realTools: Map<string, string> | undefined;
function realTool(tool: string): string {
  realTools ??= new Map(
    spawnSync('/bin/sh', ['-c', REAL_TOOLS.map((t) => `command -v ${t}`).join('; ')], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((line) => line.startsWith('/'))
      .map((found) => [path.basename(found), found]),
  );
  const found = realTools.get(tool);
  if (found === undefined) throw new Error(`${tool} is not installed`);
  return found;
}

/** `default via 10.211.1.1 dev eth1` as the fake `ip` keeps it: destination, device, the rest. */
function routeLine(route: string): string {
  const words = route.split(' ');
  const at = words.indexOf('dev');
  const dev = words[at + 1];
  if (at < 1 || dev === undefined) throw new Error(`a route needs a destination and a dev: ${route}`);
  const rest = [...words.slice(1, at), ...words.slice(at + 2)];
  return `${words[0]}\t${dev}\t${rest.join(' ')}\n`;
}

export class FakeLinksHost {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'meshctl-links-host-'));
  private readonly bin = path.join(this.dir, 'bin');
  private readonly state = path.join(this.dir, 'host');
  /** More environment for the scripts run here. */
  readonly env: Record<string, string> = {};

  constructor(initial: HostState) {
    mkdirSync(this.bin);
    for (const fake of FAKES) symlinkSync(path.join(fakes, fake), path.join(this.bin, fake));
    for (const tool of REAL_TOOLS) symlinkSync(realTool(tool), path.join(this.bin, tool));
    mkdirSync(path.join(this.state, 'ovs'), { recursive: true });
    this.setLinks(initial.links);
    writeFileSync(path.join(this.state, 'routes'), (initial.routes ?? []).map(routeLine).join(''));
    for (const [bridge, ports] of Object.entries(initial.ovs)) {
      mkdirSync(path.join(this.state, 'ovs', bridge));
      // Each port opened the link of its name as it is now.
      for (const port of ports) writeFileSync(path.join(this.state, 'ovs', bridge, port), `${this.linkId(port)}\n`);
    }
  }

  /** Runs a script as `sh -c SCRIPT mesh-links ARGS...` on this host. */
  run(script: string, ...args: string[]): ExecResult {
    return this.sh(['-c', script, 'mesh-links', ...args]);
  }

  /** Runs a command line (a fact's command) as sh would on this host. */
  runCommand(command: string): ExecResult {
    return this.sh(['-c', command]);
  }

  /** Every link, port and flag as the fakes left them. */
  read(): HostState {
    const links: Record<string, FakeLink> = {};
    const folder = path.join(this.state, 'links');
    for (const name of readdirSync(folder).sort()) {
      const file = (f: string) => path.join(folder, name, f);
      const text = (f: string) => (existsSync(file(f)) ? readFileSync(file(f), 'utf8').trim() : undefined);
      const link: FakeLink = { mtu: Number(text('mtu')), up: existsSync(file('up')) };
      const addrs = text('addrs')?.split('\n').filter(Boolean) ?? [];
      if (addrs.length > 0) link.addrs = addrs;
      const master = text('master');
      if (master !== undefined) link.master = master;
      const peer = text('peer');
      if (peer !== undefined) link.peer = peer;
      if (existsSync(file('tx-off'))) link.txChecksumOff = true;
      links[name] = link;
    }
    const ovs: Record<string, string[]> = {};
    for (const bridge of readdirSync(path.join(this.state, 'ovs')).sort()) {
      ovs[bridge] = readdirSync(path.join(this.state, 'ovs', bridge)).sort();
    }
    const routes = readFileSync(path.join(this.state, 'routes'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [to = '', dev = '', rest = ''] = line.split('\t');
        return [to, rest, 'dev', dev].filter(Boolean).join(' ');
      })
      .sort();
    return { links, ovs, routes };
  }

  /** Changes links by hand (as an operator would), keeping the others. */
  edit(change: (links: Record<string, FakeLink>) => void): void {
    const { links } = this.read();
    change(links);
    this.setLinks(links, true);
  }

  /**
   * A reboot: the kernel's links are what the boot made (given), all new; the OVS database keeps
   * its ports, which now name links that are gone.
   */
  reboot(links: Record<string, FakeLink>): void {
    rmSync(path.join(this.state, 'links'), { recursive: true, force: true });
    this.setLinks(links);
  }

  /** The fakes' command lines so far, one string each. */
  calls(): string[] {
    const file = path.join(this.state, 'calls');
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private sh(args: string[]): ExecResult {
    const result = spawnSync('/bin/sh', args, {
      cwd: this.dir,
      env: { ...this.env, PATH: this.bin, FAKE_HOST: this.state, REAL_PATH: process.env.PATH ?? '/usr/bin:/bin' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    const unsupported = path.join(this.state, 'unsupported');
    if (existsSync(unsupported)) {
      throw new Error(`the fake host cannot do what the script asked; teach test/unit/modules/fake-links-host/ these:\n${readFileSync(unsupported, 'utf8')}`);
    }
    return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
  }

  private linkId(name: string): string {
    const file = path.join(this.state, 'links', name, 'id');
    return existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  }

  /** Writes links; `keepIds` keeps the identity of those that exist (an edit, not a new link). */
  private setLinks(links: Record<string, FakeLink>, keepIds = false): void {
    const folder = path.join(this.state, 'links');
    const ids = new Map(keepIds && existsSync(folder) ? readdirSync(folder).map((name) => [name, this.linkId(name)]) : []);
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder);
    for (const [name, link] of Object.entries(links)) {
      const dir = path.join(folder, name);
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'id'), `${ids.get(name) ?? this.newId()}\n`);
      writeFileSync(path.join(dir, 'mtu'), `${link.mtu ?? 1500}\n`);
      if (link.up === true) writeFileSync(path.join(dir, 'up'), '');
      if (link.addrs !== undefined && link.addrs.length > 0) writeFileSync(path.join(dir, 'addrs'), `${link.addrs.join('\n')}\n`);
      if (link.master !== undefined) writeFileSync(path.join(dir, 'master'), `${link.master}\n`);
      if (link.peer !== undefined) writeFileSync(path.join(dir, 'peer'), `${link.peer}\n`);
      if (link.txChecksumOff === true) writeFileSync(path.join(dir, 'tx-off'), '');
    }
  }

  /** Link ids come from one counter, shared with the fake `ip`. */
  private newId(): string {
    const file = path.join(this.state, 'next-id');
    const id = (existsSync(file) ? Number(readFileSync(file, 'utf8')) : 0) + 1;
    writeFileSync(file, `${id}\n`);
    return String(id);
  }
}
