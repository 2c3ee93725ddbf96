// The `kv:` and `package_sources:` sections: what the loader makes of them, what playbooks see,
// and the cross-field rules (a store's group, source names, keys).
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hostVars } from '../../../src/engine/vars.js';
import { parseInventory } from '../../../src/inventory/load.js';
import { planInventory } from '../../../src/inventory/plan.js';
import { moduleSourceSchema } from '../../../src/packages/source.js';
import { refusedWith } from './refused-with.js';

// Inside test/unit/, so that `key: ../packages/files/...` resolves next to this file.
const file = path.join(import.meta.dirname, 'inv.yaml');
const armoredKey = readFileSync(path.join(import.meta.dirname, '../packages/files/debian-bullseye-stable.asc'), 'utf8');

const HOSTS = `hosts:
  - name: node1
    address: 10.210.0.11
    underlay_address: 10.211.0.11
    groups: [kv]
  - name: node2
    address: 10.210.0.12
    underlay_address: 10.211.0.12
  - name: node3
    address: 10.210.0.13
    underlay_address: 10.211.0.13
mesh:
  backend: ovs-gre
  pool: 172.17.0.0/16
  slice_prefix: 18
`;

const SOURCES = `package_sources:
  - name: bullseye
    apt:
      uri: http://deb.debian.org/debian
      suite: bullseye
      key: ../packages/files/debian-bullseye-stable.gpg
      pin: { packages: [consul, docker.io] }
  - name: hashicorp
    apt: { uri: "https://apt.releases.hashicorp.com", suite: bookworm, key_url: "https://apt.releases.hashicorp.com/gpg" }
    yum: { baseurl: "https://rpm.releases.hashicorp.com/RHEL/9/x86_64/stable", gpgkey: "https://rpm.releases.hashicorp.com/gpg" }
`;

const problemsOf = (text: string): string[] => refusedWith(() => parseInventory(text, file));

function varsOf(text: string, hostName: string): Record<string, unknown> {
  const inventory = parseInventory(text, file);
  const host = inventory.hosts.find((h) => h.name === hostName);
  if (host === undefined) throw new Error(`no host ${hostName}`);
  return hostVars(inventory, planInventory(inventory), host, { purge: false });
}

describe('kv:', () => {
  it('gives playbooks the store, its nodes by underlay address and where clients find it', () => {
    const text = `kv:\n  type: etcd\n${HOSTS}`;
    expect(varsOf(text, 'node1')['kv']).toEqual({
      type: 'etcd',
      packages: ['etcd-server', 'etcd-client'],
      nodes: [{ name: 'node1', address: '10.211.0.11' }],
      ports: { client: 2379, peer: 2380 },
      cluster_store: 'etcd://10.211.0.11:2379',
      client_endpoints: 'http://10.211.0.11:2379',
      member: true,
    });
    expect(varsOf(text, 'node2')['kv']).toMatchObject({ member: false, cluster_store: 'etcd://10.211.0.11:2379' });
  });

  it('takes three nodes in inventory order, ports set in the inventory, and lets --limit name group kv', () => {
    const text = `kv:\n  type: zookeeper\n  ports: { client: 12181 }\n${HOSTS.replace(/(address: 10\.211\.0\.1[23]\n)/g, '$1    groups: [kv]\n')}`;
    const inventory = parseInventory(text, file);
    expect(inventory.kv).toEqual({
      type: 'zookeeper',
      nodes: [
        { name: 'node1', address: '10.211.0.11' },
        { name: 'node2', address: '10.211.0.12' },
        { name: 'node3', address: '10.211.0.13' },
      ],
      ports: { client: 12181, quorum: 2888, election: 3888 },
    });
    expect(inventory.groups).toContain('kv');
  });

  it('is false without a kv: section, so that `when: kv` skips', () => {
    expect(varsOf(HOSTS.replace('    groups: [kv]\n', ''), 'node1')['kv']).toBe(false);
  });

  it('refuses a kv: section without hosts in group kv', () => {
    expect(problemsOf(`kv:\n  type: consul\n${HOSTS.replace('    groups: [kv]\n', '')}`)).toEqual([
      '2:3 kv: no host is in group kv: add kv to the groups of 1, 3 or 5 hosts, which run the consul store',
    ]);
  });

  it('refuses an even number of nodes', () => {
    const text = `kv:\n  type: etcd\n${HOSTS.replace('address: 10.211.0.12\n', 'address: 10.211.0.12\n    groups: [kv]\n')}`;
    expect(problemsOf(text)).toEqual([
      '2:3 kv: group kv has 2 hosts (node1, node2): a store needs an odd number (1, 3, 5) for a clean quorum; 2 survive no more failures than 1',
    ]);
  });

  it("refuses another type's port and two ports on one number", () => {
    expect(problemsOf(`kv:\n  type: etcd\n  ports: { server: 8300, peer: 2379 }\n${HOSTS}`)).toEqual([
      '3:20 kv.ports.server: etcd has no server port (its ports: client, peer)',
      '3:32 kv.ports.peer: 2379 is also the client port',
    ]);
  });

  it('still refuses a host in an undeclared group kv without a kv: section', () => {
    expect(problemsOf(HOSTS)).toEqual(["5:14 hosts[0].groups[0]: unknown group 'kv' (no groups are defined)"]);
  });
});

describe('package_sources:', () => {
  it("reads the key file, armors it, and gives playbooks the module's sources with defaults", () => {
    const sources = varsOf(`kv:\n  type: etcd\n${SOURCES}${HOSTS}`, 'node2')['package_sources'];
    expect(sources).toEqual([
      {
        name: 'bullseye',
        apt: {
          uri: 'http://deb.debian.org/debian',
          suite: 'bullseye',
          components: ['main'],
          key_text: armoredKey,
          pin: { priority: 100, packages: ['consul', 'docker.io'], packages_priority: 990 },
        },
      },
      {
        name: 'hashicorp',
        apt: { uri: 'https://apt.releases.hashicorp.com', suite: 'bookworm', components: ['main'], key_url: 'https://apt.releases.hashicorp.com/gpg' },
        yum: { baseurl: 'https://rpm.releases.hashicorp.com/RHEL/9/x86_64/stable', gpgkey: 'https://rpm.releases.hashicorp.com/gpg', gpgcheck: true, enabled: true },
      },
    ]);
    // What playbooks pass on is what the module takes.
    expect(() => (sources as unknown[]).map((source) => moduleSourceSchema.parse(source))).not.toThrow();
  });

  it('is an empty list without the section', () => {
    expect(varsOf(`kv:\n  type: etcd\n${HOSTS}`, 'node1')['package_sources']).toEqual([]);
  });

  it('refuses duplicate names, URLs of other schemes, both key and key_url, a source of neither kind', () => {
    const text = `package_sources:
  - name: a
    apt: { uri: "ftp://example.org/debian", suite: bullseye }
  - name: a
    apt: { uri: "http://example.org/debian", suite: bullseye, key: k.asc, key_url: "https://example.org/k" }
  - name: b
${HOSTS.replace('    groups: [kv]\n', '')}`;
    expect(problemsOf(text)).toEqual([
      '3:17 package_sources[0].apt.uri: must be an http://, https:// or file:/ URL, got "ftp://example.org/debian"',
    ]);
    expect(problemsOf(text.replace('ftp://', 'http://'))).toEqual([
      "4:11 package_sources[1].name: duplicate name 'a' (also package_sources[0])",
      '5:84 package_sources[1].apt.key_url: give key (a file) or key_url, not both',
      '6:5 package_sources[2]: a source needs apt:, yum: or both',
    ]);
  });

  it('refuses a name apt would ignore in preferences.d', () => {
    const text = `package_sources:\n  - name: hashi.corp\n    apt: { uri: "http://example.org/debian", suite: bullseye }\n${HOSTS.replace('    groups: [kv]\n', '')}`;
    expect(problemsOf(text)).toEqual([
      '2:11 package_sources[0].name: must be a name of letters, digits, _ and - (it names the files written), got "hashi.corp"',
    ]);
  });

  it('refuses a key file that is missing or no OpenPGP key, at the key', () => {
    const text = `package_sources:
  - name: a
    apt: { uri: "http://example.org/debian", suite: bullseye, key: bad/files/no-such.asc }
  - name: b
    apt: { uri: "http://example.org/debian", suite: bookworm, key: bad/files/not-a-key }
${HOSTS.replace('    groups: [kv]\n', '')}`;
    const dir = import.meta.dirname;
    expect(problemsOf(text)).toEqual([
      `3:68 package_sources[0].apt.key: no such file: ${dir}/bad/files/no-such.asc`,
      `5:68 package_sources[1].apt.key: ${dir}/bad/files/not-a-key is not an OpenPGP public key (armored or binary)`,
    ]);
  });
});

describe('ovs.source and docker.source', () => {
  const hosts = HOSTS.replace('    groups: [kv]\n', '');

  it('gives playbooks the files of the directory, read from the files themselves, and their names; distro by default', () => {
    const vars = varsOf(`ovs:\n  source: { packages: ../packages/ship }\n${hosts}`, 'node2');
    const ovs = vars['ovs'] as { source: string; package_names: string[]; packages: { path: string; format: string; version: string; arch: string }[] };
    expect(ovs.source).toBe('packages');
    expect(ovs.package_names).toEqual(['meshctl-hello']);
    expect(ovs.packages.map((f) => [path.basename(f.path), f.format, f.version, f.arch])).toEqual([
      ['meshctl-hello-1.2-3.noarch.rpm', 'rpm', '1:1.2-3', 'noarch'],
      ['meshctl-hello_1.2-3_all.deb', 'deb', '1.2-3', 'all'],
    ]);
    expect(varsOf(hosts, 'node2')['docker']).toMatchObject({ source: 'distro', packages: [], package_names: [] });
    expect(varsOf(hosts, 'node2')['ovs']).toEqual({ source: 'distro', packages: [], package_names: [] });
  });

  it('refuses a directory that is missing, empty of packages, or holds two versions of one package, at the field', () => {
    const dir = import.meta.dirname;
    expect(problemsOf(`docker:\n  source: { packages: no-such-dir }\n${hosts}`)).toEqual([`2:23 docker.source.packages: no such directory: ${dir}/no-such-dir`]);
    expect(problemsOf(`ovs:\n  source: { packages: bad }\n${hosts}`)).toEqual([`2:23 ovs.source.packages: ${dir}/bad holds no .deb or .rpm file`]);
    // files/ holds one deb twice (xz and gzip): one name and architecture, two files.
    expect(problemsOf(`ovs:\n  source: { packages: ../packages/files }\n${hosts}`)).toEqual([
      expect.stringMatching(/^2:23 ovs\.source\.packages: .*holds two meshctl-hello packages for all: meshctl-hello_1\.2-3_all\.deb \(1\.2-3\) and meshctl-hello_1\.2-3_all\.gz\.deb \(1\.2-3\); keep one$/),
    ]);
  });

  it('refuses another spelling of the source, at the field, and build for docker', () => {
    const [problem] = problemsOf(`ovs:\n  source: compile\n${hosts}`);
    expect(problem).toMatch(/^2:11 ovs\.source: /);
    expect(problemsOf(`docker:\n  source: build\n${hosts}`)).toEqual([expect.stringMatching(/^2:11 docker\.source: /)]);
  });
});

describe('ovs.source: build and ovs.build', () => {
  const hosts = HOSTS.replace('    groups: [kv]\n', '');

  it('loads the build settings and builds nothing: until up builds, playbooks see the distribution', () => {
    const inventory = parseInventory(`ovs:\n  source: build\n${hosts}`, file);
    expect(inventory.ovsBuild).toEqual({ source: { kind: 'distro' }, format: 'deb', forUp: true });
    expect(inventory.shipped.ovs).toBeUndefined();
    const url = 'https://www.openvswitch.org/releases/openvswitch-3.1.0.tar.gz';
    expect(parseInventory(`ovs:\n  build: { source: '${url}', format: rpm }\n${hosts}`, file).ovsBuild).toEqual({ source: { kind: 'url', url }, format: 'rpm', forUp: false });
    expect(parseInventory(hosts, file).ovsBuild).toBeUndefined();
  });

  it('resolves a tarball path against the inventory and refuses one that is missing, at the field', () => {
    const tarball = '../build/files/openvswitch-9.9.9.tar.gz';
    expect(parseInventory(`ovs:\n  source: build\n  build: { source: ${tarball} }\n${hosts}`, file).ovsBuild?.source).toEqual({ kind: 'file', path: path.join(import.meta.dirname, tarball) });
    expect(problemsOf(`ovs:\n  source: build\n  build:\n    source: missing.tar.gz\n${hosts}`)).toEqual([`4:13 ovs.build.source: no such file: ${import.meta.dirname}/missing.tar.gz`]);
  });

  it('refuses a source that is neither a URL nor a tarball, and an unknown format, at the field', () => {
    expect(problemsOf(`ovs:\n  build:\n    source: ftp://example.org/ovs.tar.gz\n${hosts}`)).toEqual([expect.stringMatching(/^3:13 ovs\.build\.source: must be an http/)]);
    expect(problemsOf(`ovs:\n  build:\n    source: ./ovs.zip\n${hosts}`)).toEqual([expect.stringMatching(/^3:13 ovs\.build\.source: must be/)]);
    expect(problemsOf(`ovs:\n  build:\n    format: apk\n${hosts}`)).toEqual([expect.stringMatching(/^3:13 ovs\.build\.format: /)]);
  });
});
