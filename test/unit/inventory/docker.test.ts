// The inventory's docker: section: merged per host, checked where it was written, and its clashes
// with a backend's own daemon.json keys reported at the user's key before any connection.
// Columns are those of the values, as for every inventory problem.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { backends } from '../../../src/backends/index.js';
import { loadPlaybook, playbookDir } from '../../../src/engine/playbook.js';
import { prepareTasks } from '../../../src/engine/prepare.js';
import { InputError } from '../../../src/errors.js';
import { parseInventory } from '../../../src/inventory/load.js';
import { planInventory } from '../../../src/inventory/plan.js';
import { modules } from '../../../src/modules/index.js';
import { refusedWith } from './refused-with.js';

const HOSTS = `hosts:
  - name: node1
    address: 10.210.0.11
    groups: [edge]
  - name: node2
    address: 10.210.0.12
`;
const mesh = (backend: string): string => `mesh:
  backend: ${backend}
  pool: 10.240.0.0/16
  slice_prefix: 24
  underlay: { interface: eth1 }
`;

function inventoryText(docker: { top?: string; group?: string; host?: string }, backend = 'ovs-gre'): string {
  const indent = (text: string, by: string): string => text.trimEnd().split('\n').map((line) => `${by}${line}`).join('\n');
  const top = docker.top === undefined ? '' : `docker:\n${indent(docker.top, '  ')}\n`;
  const group = `groups:\n  edge:\n${docker.group === undefined ? '    vars: {}' : `    docker:\n${indent(docker.group, '      ')}`}\n`;
  const hosts = docker.host === undefined ? HOSTS : HOSTS.replace('    groups: [edge]\n', `    groups: [edge]\n    docker:\n${indent(docker.host, '      ')}\n`);
  return `${top}${group}${hosts}${mesh(backend)}`;
}

const problemsOf = (text: string): string[] => refusedWith(() => parseInventory(text, 'inv.yaml'));

/** The line of the first line of `text` containing `needle` (1-based). */
function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  if (index === -1) throw new Error(`no line with ${needle}`);
  return index + 1;
}

describe('docker: in the inventory', () => {
  it('merges daemon per key, nearest layer first, and remembers where each key was written', () => {
    const text = inventoryText({
      top: 'daemon:\n  log-driver: journald\n  registry-mirrors: ["https://mirror.example"]\n',
      group: 'daemon:\n  log-driver: json-file\n  log-opts: { max-size: 10m }\ninsecure_tcp: true\n',
      host: 'daemon:\n  data-root: /srv/docker\ninsecure_tcp: false\n',
    });
    const [node1, node2] = parseInventory(text, 'inv.yaml').hosts;
    expect(node1?.docker.daemon).toEqual({ 'log-driver': 'json-file', 'registry-mirrors': ['https://mirror.example'], 'log-opts': { 'max-size': '10m' }, 'data-root': '/srv/docker' });
    expect(node1?.docker.insecureTcp).toBe(false);
    expect(node2?.docker.daemon).toEqual({ 'log-driver': 'journald', 'registry-mirrors': ['https://mirror.example'] });
    expect(node1?.docker.daemonSources['log-driver']).toMatchObject({ line: lineOf(text, 'log-driver: json-file'), field: 'groups.edge.docker.daemon.log-driver' });
    expect(node1?.docker.daemonSources['data-root']).toMatchObject({ line: lineOf(text, 'data-root'), field: 'hosts[0].docker.daemon.data-root' });
    expect(node2?.docker.daemonSources['log-driver']).toMatchObject({ line: lineOf(text, 'log-driver: journald'), field: 'docker.daemon.log-driver' });
  });

  it('types the known keys and passes any other key through as JSON', () => {
    const text = inventoryText({ top: 'daemon:\n  data-root: srv/docker\n  log-opts: { max-file: 3 }\n  live-restore: true\n  default-ulimits: { nofile: { Name: nofile, Hard: 64000, Soft: 64000 } }\n' });
    expect(problemsOf(text)).toEqual([
      `${lineOf(text, 'data-root')}:16 docker.daemon.data-root: must be an absolute path, got "srv/docker"`,
      `${lineOf(text, 'log-opts')}:27 docker.daemon.log-opts.max-file: expected text, got 3`,
    ]);
    const fixed = text.replace('srv/docker', '/srv/docker').replace('max-file: 3', 'max-file: "3"');
    expect(parseInventory(fixed, 'inv.yaml').hosts[0]?.docker.daemon).toMatchObject({ 'live-restore': true, 'default-ulimits': { nofile: { Hard: 64000 } } });
  });

  it('refuses a key spelt like a known one, which dockerd would not start with', () => {
    const text = inventoryText({ host: 'daemon:\n  data_root: /srv/docker\n  tls-verify: true\n' });
    expect(problemsOf(text)).toEqual([
      `${lineOf(text, 'data_root')}:20 hosts[0].docker.daemon.data_root: unknown daemon.json key (did you mean data-root?): dockerd does not start with a key it does not know`,
      `${lineOf(text, 'tls-verify')}:21 hosts[0].docker.daemon.tls-verify: unknown daemon.json key (did you mean tlsverify?): dockerd does not start with a key it does not know`,
    ]);
  });

  it('refuses address pools that overlap the mesh pool, at the base', () => {
    const text = inventoryText({ top: 'daemon:\n  default-address-pools:\n    - { base: 172.80.0.0/16, size: 24 }\n    - { base: 10.240.128.0/17, size: 24 }\n' });
    expect(problemsOf(text)).toEqual([
      `${lineOf(text, '10.240.128.0/17')}:17 docker.daemon.default-address-pools[1].base: 10.240.128.0/17 overlaps the mesh pool 10.240.0.0/16: Docker would hand out the mesh's addresses to networks of its own`,
    ]);
  });

  describe('the API over TCP', () => {
    const open = 'daemon:\n  hosts: ["fd://", "tcp://0.0.0.0:2375"]\n';

    it('is refused without tlsverify and the three files, once where it is written', () => {
      const text = inventoryText({ top: open });
      expect(problemsOf(text)).toEqual([
        `${lineOf(text, 'hosts:')}:22 docker.daemon.hosts[1]: tcp://0.0.0.0:2375 opens the Docker API without TLS (missing tlsverify: true, tlscacert, tlscert, tlskey): anyone who reaches it is root on the host; add them, or set docker.insecure_tcp: true`,
      ]);
    });

    it('passes with docker.insecure_tcp: true, where it applies only', () => {
      expect(problemsOf(inventoryText({ top: `${open}insecure_tcp: true\n` }))).toEqual([]);
      const text = inventoryText({ top: open, group: 'insecure_tcp: true\n' });
      // node1 is in the group; node2 is not and still refuses it.
      expect(problemsOf(text)).toHaveLength(1);
    });

    it("passes with TLS, the files from the host's layer completing the group's listener", () => {
      const tls = 'daemon:\n  tlsverify: true\n  tlscacert: /etc/docker/ca.pem\n  tlscert: /etc/docker/cert.pem\n  tlskey: /etc/docker/key.pem\n';
      expect(problemsOf(inventoryText({ group: open, host: tls }))).toEqual([]);
      expect(problemsOf(inventoryText({ group: open, host: tls.replace('  tlsverify: true\n', '  tls: true\n') }))).toHaveLength(1);
    });

    it('must keep the local socket meshctl uses', () => {
      const text = inventoryText({ top: 'daemon:\n  hosts: ["tcp://0.0.0.0:2375"]\ninsecure_tcp: true\n' });
      expect(problemsOf(text)).toEqual([
        `${lineOf(text, 'hosts:')}:12 docker.daemon.hosts: must keep the local socket (fd:// or unix:///var/run/docker.sock or unix:///run/docker.sock): meshctl and docker on the host talk to the daemon there`,
      ]);
    });
  });

  describe("clashes with the backend's own keys", () => {
    async function prepareProblems(text: string, backend: string): Promise<string[]> {
      const record = backends.find((b) => b.name === backend);
      if (record === undefined) throw new Error(backend);
      const playbook = await loadPlaybook(path.join(playbookDir(), record.playbook), modules);
      const inventory = parseInventory(text, 'inv.yaml');
      try {
        prepareTasks(playbook, 'up', inventory, planInventory(inventory), { purge: false });
      } catch (error) {
        if (error instanceof InputError) return error.problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.field}: ${p.message}`);
        throw error;
      }
      return [];
    }

    it("ovs-vxlan's bip: exit 2 at the user's key, once for all hosts, naming the playbook's task", async () => {
      const text = inventoryText({ top: 'daemon:\n  bip: 192.168.5.1/24\n  log-driver: journald\n' }, 'ovs-vxlan');
      const problems = await prepareProblems(text, 'ovs-vxlan');
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(new RegExp(`^inv\\.yaml:${lineOf(text, 'bip:')}:10 docker\\.daemon\\.bip: the playbook sets bip itself: remove it from docker\\.daemon \\(task 'Docker uses docker0, this host's addresses and the mesh MTU', .*ovs-mesh-up\\.yaml:\\d+\\)$`));
    });

    it("bip next to ovs-gre's bridge, set on one host: reported on that host's key", async () => {
      const text = inventoryText({ host: 'daemon:\n  bip: 192.168.5.1/24\n' }, 'ovs-gre');
      const problems = await prepareProblems(text, 'ovs-gre');
      expect(problems).toEqual([expect.stringContaining(`inv.yaml:${lineOf(text, 'bip:')}:14 hosts[0].docker.daemon.bip: dockerd refuses bip together with bridge, which the playbook sets`)]);
    });

    it('passes keys no backend sets, on every backend', async () => {
      for (const backend of ['ovs-gre', 'ovs-vxlan', 'vxlan']) {
        const text = inventoryText({ top: 'daemon:\n  data-root: /srv/docker\n  registry-mirrors: ["https://mirror.example"]\n' }, backend);
        expect(await prepareProblems(text, backend), backend).toEqual([]);
      }
    });
  });
});
