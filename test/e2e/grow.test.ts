// A mesh that grows and shrinks (`sandbox add`, `sandbox remove`): a host added never moves
// another host's subnet; a host removed frees its slice and loses every peer's tunnel on the next up.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { json, meshctl } from './cli.js';
import { expectMatrixOk, type ExecJson, type Lab, type RunJson, type StatusJson } from './lifecycle.js';

const only = process.env.MESHCTL_E2E_BACKENDS?.split(',');

describe.runIf(only === undefined || only.includes('grow'))('ovs-gre, growing and shrinking the sandbox', () => {
  const lab: Lab = {
    inventory: '',
    dir: '',
    hosts: ['node1', 'node2', 'node3'],
    onHosts: async (command, limit) =>
      json<ExecJson>(await meshctl(['exec', '-i', lab.inventory, '--become', '--json', ...(limit ? ['--limit', limit] : []), '--', command])),
  };
  const up = async (): Promise<void> => {
    const result = await meshctl(['up', lab.inventory, '--json']);
    expect(json<RunJson>(result).ok, result.stdout + result.stderr).toBe(true);
  };
  const subnets = async (): Promise<Record<string, string>> => {
    const status = json<StatusJson>(await meshctl(['status', lab.inventory, '--json']));
    return Object.fromEntries(Object.entries(status.hosts).map(([name, host]) => [name, host.subnet]));
  };
  const recordedSlices = async (): Promise<Record<string, { slice: string }>> =>
    (JSON.parse(await readFile(lab.inventory.replace(/\.yaml$/, '.state.json'), 'utf8')) as { hosts: Record<string, { slice: string }> }).hosts;

  beforeAll(async () => {
    lab.dir = await mkdtemp(path.join(tmpdir(), 'meshctl-e2e-grow-'));
    lab.inventory = path.join(lab.dir, 'inventory.yaml');
    const sandbox = await meshctl(['sandbox', 'up', '--hosts', '3', '--backend', 'ovs-gre', '--inventory', lab.inventory]);
    expect(sandbox.code, sandbox.stderr).toBe(0);
    await up();
  });
  afterAll(async () => {
    if (lab.inventory !== '') await meshctl(['sandbox', 'down', '--inventory', lab.inventory]);
    if (lab.dir !== '') await rm(lab.dir, { recursive: true, force: true });
  });

  it('adds a host without moving any other host\'s subnet', async () => {
    const before = await subnets();
    const added = await meshctl(['sandbox', 'add', '--hosts', '1', '--inventory', lab.inventory]);
    expect(added.code, added.stderr).toBe(0);
    await up();
    const after = await subnets();
    expect(Object.keys(after)).toEqual(['node1', 'node2', 'node3', 'node4']);
    for (const host of lab.hosts) expect(after[host], host).toBe(before[host]);
    lab.hosts = ['node1', 'node2', 'node3', 'node4'];
    await expectMatrixOk(lab, 4);
  });

  it('removes a host: its slice is free and no peer keeps a tunnel to it', async () => {
    const inventory = parse(await readFile(lab.inventory, 'utf8')) as { hosts: { name: string; underlay_address: string }[] };
    const underlay = inventory.hosts.find((host) => host.name === 'node2')?.underlay_address ?? 'missing';
    const slice = (await recordedSlices()).node2?.slice;
    expect(slice).toBeDefined();
    const tunnels = async (): Promise<ExecJson> => lab.onHosts('ovs-vsctl show', 'node1,node3,node4');
    // Seen before the removal, so that its absence afterwards means something.
    expect((await tunnels()).hosts.node1?.stdout).toContain(`"${underlay}"`);

    const removed = await meshctl(['sandbox', 'remove', 'node2', '--inventory', lab.inventory]);
    expect(removed.code, removed.stderr).toBe(0);
    await up();
    const held = await recordedSlices();
    expect(Object.keys(held).sort()).toEqual(['node1', 'node3', 'node4']);
    expect(Object.values(held).map((host) => host.slice)).not.toContain(slice);
    const after = await tunnels();
    for (const host of ['node1', 'node3', 'node4']) expect(after.hosts[host]?.stdout, host).not.toContain(`"${underlay}"`);
    lab.hosts = ['node1', 'node3', 'node4'];
    await expectMatrixOk(lab, 3);
  });
});
