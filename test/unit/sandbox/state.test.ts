// readState: the sandbox record on disk, including records written before a field existed.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readState, writeState, type SandboxState } from '../../../src/sandbox/state.js';

const record: SandboxState = {
  version: 1,
  name: 'meshctl-lab-3f2a1c',
  inventoryPath: '/work/demo/lab.yaml',
  backend: 'ovs-gre',
  suite: 'trixie',
  image: 'meshctl-host:0123456789ab',
  imagePackages: ['docker.io'],
  networks: { management: { name: 'm', subnet: '10.210.4.0/24' }, underlay: { name: 'u', subnet: '10.211.4.0/24' } },
  hosts: [{ name: 'node1', container: 'meshctl-lab-3f2a1c-node1', address: '10.210.4.11', underlayAddress: '10.211.4.11' }],
  sshKey: '/work/demo/.meshctl-sandbox/lab/id_ed25519',
  knownHosts: '/work/demo/.meshctl-sandbox/lab/known_hosts',
  createdAt: '2026-01-01T00:00:00.000Z',
};

describe('sandbox state', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshctl-state-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the suite across a write and a read', async () => {
    await writeState(join(dir, 'sandbox.json'), record);
    expect(await readState(join(dir, 'sandbox.json'))).toEqual(record);
  });

  it('reads a record from before suites as one of bookworm hosts', async () => {
    const { suite: _suite, ...older } = record;
    await writeFile(join(dir, 'sandbox.json'), JSON.stringify(older));
    expect((await readState(join(dir, 'sandbox.json')))?.suite).toBe('bookworm');
  });

  it('keeps the baked-in packages across a write and a read, and reads an older record as the plain image', async () => {
    await writeState(join(dir, 'sandbox.json'), record);
    expect((await readState(join(dir, 'sandbox.json')))?.imagePackages).toEqual(['docker.io']);
    const { imagePackages: _packages, ...older } = record;
    await writeFile(join(dir, 'sandbox.json'), JSON.stringify(older));
    expect((await readState(join(dir, 'sandbox.json')))?.imagePackages).toEqual([]);
  });

  it('refuses a record with a suite it does not know', async () => {
    await writeFile(join(dir, 'sandbox.json'), JSON.stringify({ ...record, suite: 'buster' }));
    await expect(readState(join(dir, 'sandbox.json'))).rejects.toThrow(/not a sandbox record/);
  });
});
