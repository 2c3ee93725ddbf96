// Allocations kept in etcd: a vxlan sandbox whose node1 runs etcd (group kv), first brought up
// with the state file, then the same inventory naming node1's etcd as its state store, its hosts
// listed the other way round (so a plan by position would swap their subnets). The store starts
// from the state file; the subnets stay; a second `up` changes nothing; an unreachable store
// stops `up` with exit 5 before any host.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { json, meshctl } from './cli.js';
import type { RunJson } from './lifecycle.js';

interface Generated {
  hosts: { name: string; address: string; underlay_address: string }[];
  [key: string]: unknown;
}

interface StatusJson {
  state: { store: string; endpoints?: string[]; key?: string };
  hosts: Record<string, { subnet: string; recorded: boolean; last_run: { action: string; outcome: string } | null }>;
}

interface ExecJson {
  ok: boolean;
  hosts: Record<string, { stdout: string; stderr: string; code: number }>;
}

interface StoredRecord {
  hosts: { [name: string]: { slice_index: number; slice: string } };
  last_runs?: { [name: string]: { at: string } };
}

const PREFIX = 'meshctl/e2e-state';

describe.runIf(process.env.MESHCTL_E2E_BACKENDS === undefined || process.env.MESHCTL_E2E_BACKENDS.split(',').includes('state-store'))('allocations in etcd', () => {
  let dir = '';
  let inventory = '';
  let generated: Generated;
  let etcdUrl = '';

  /** The record in node1's etcd, read there with etcdctl (the store listens on the underlay). */
  const recordInEtcd = async (): Promise<StoredRecord | undefined> => {
    const command = `ETCDCTL_API=3 etcdctl --endpoints=${etcdUrl} get ${PREFIX}/state --print-value-only`;
    const result = json<ExecJson>(await meshctl(['exec', '-i', inventory, '-l', 'node1', '--json', '--', command]));
    const text = result.hosts.node1?.stdout.trim() ?? '';
    return text === '' ? undefined : (JSON.parse(text) as StoredRecord);
  };

  const subnets = (status: StatusJson): { [name: string]: string } => Object.fromEntries(Object.entries(status.hosts).map(([name, host]) => [name, host.subnet]));

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'meshctl-e2e-state-'));
    inventory = path.join(dir, 'inventory.yaml');
    const up = await meshctl(['sandbox', 'up', '--hosts', '2', '--backend', 'vxlan', '--inventory', inventory, '--set', 'kv.type=etcd']);
    expect(up.code, up.stderr).toBe(0);
    generated = parse(await readFile(inventory, 'utf8')) as Generated;
    etcdUrl = `http://${generated.hosts[0]?.underlay_address ?? ''}:2379`;
  });
  afterAll(async () => {
    if (inventory !== '') await meshctl(['sandbox', 'down', '--inventory', inventory]);
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('moves from the state file to etcd keeping every subnet, and a second up changes nothing', async () => {
    const first = await meshctl(['up', inventory, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const fromFile = json<StatusJson>(await meshctl(['status', inventory, '--json']));
    expect(fromFile.state).toEqual({ store: 'file', path: inventory.replace(/\.yaml$/, '.state.json') });
    const fileRecord = JSON.parse(await readFile(inventory.replace(/\.yaml$/, '.state.json'), 'utf8')) as StoredRecord;
    expect(await recordInEtcd()).toBeUndefined();

    // The operator's edit: a state store, and hosts listed in another order.
    const shared = { ...generated, hosts: [...generated.hosts].reverse(), state: { store: 'etcd', endpoints: [etcdUrl], prefix: PREFIX } };
    await writeFile(inventory, stringify(shared));
    const moved = await meshctl(['up', inventory, '--json']);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stderr).toContain('started it from file');

    const inEtcd = await recordInEtcd();
    expect(inEtcd?.hosts).toEqual(fileRecord.hosts);
    expect(Object.keys(inEtcd?.last_runs ?? {}).sort()).toEqual(['node1', 'node2']);
    const status = json<StatusJson>(await meshctl(['status', inventory, '--json']));
    expect(status.state).toEqual({ store: 'etcd', endpoints: [etcdUrl], key: `${PREFIX}/state` });
    expect(subnets(status)).toEqual(subnets(fromFile));
    expect(Object.values(status.hosts).every((host) => host.recorded && host.last_run?.outcome === 'ok')).toBe(true);

    const again = json<RunJson>(await meshctl(['up', inventory, '--json']));
    expect(again.ok).toBe(true);
    expect(Object.values(again.hosts).map((host) => host.changed)).toEqual([0, 0]);
    expect((await recordInEtcd())?.hosts).toEqual(fileRecord.hosts);
  });

  it('stops up with exit 5, naming the endpoints tried, when the store cannot be reached, and runs nothing', async () => {
    const before = await recordInEtcd();
    const unreachable = path.join(dir, 'unreachable.yaml');
    const closed = `http://${generated.hosts[1]?.underlay_address ?? ''}:2379`;
    const text = (await readFile(inventory, 'utf8')).replace(etcdUrl, closed);
    expect(text).toContain(closed);
    await writeFile(unreachable, text);
    const up = await meshctl(['up', unreachable]);
    expect(up.code).toBe(5);
    expect(up.stderr).toContain(`the etcd state store could not be reached: tried ${closed} (`);
    expect(await recordInEtcd()).toEqual(before);
  });
});
