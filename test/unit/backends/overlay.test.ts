// overlay's `store: auto` choice, from what docker_engine registered on each host.
import { describe, expect, it } from 'vitest';
import { decideMode } from '../../../src/backends/overlay.js';

const engines = (entries: Record<string, { version: string; store: string | null; can_use: boolean }>) => new Map(Object.entries(entries));

describe('decideMode', () => {
  it('follows a store or swarm named in the inventory, whatever the engines', () => {
    expect(decideMode('etcd', undefined)).toMatchObject({ mode: 'store', store_required: true, swarm_possible: false });
    expect(decideMode('swarm', undefined)).toMatchObject({ mode: 'swarm', swarm_mode: true, store_required: false });
  });

  it('waits for the engines under auto', () => {
    expect(decideMode('auto', undefined)).toMatchObject({ mode: 'undecided', store_required: false, swarm_possible: true });
  });

  it('picks swarm when any engine cannot use the store, naming it and its version', () => {
    const found = engines({
      node1: { version: '20.10.24+dfsg1', store: 'consul', can_use: false },
      node2: { version: '20.10.5+dfsg1', store: 'consul', can_use: true },
    });
    expect(decideMode('auto', found)).toMatchObject({
      mode: 'swarm',
      mode_reason: 'store: auto chose swarm: node1 (Docker 20.10.24+dfsg1) cannot use a consul cluster store',
    });
  });

  it('picks swarm without a kv: store, and the store when every engine can use it', () => {
    expect(decideMode('auto', engines({ node1: { version: '26.1.5', store: null, can_use: false } }))).toMatchObject({ mode: 'swarm' });
    const fine = engines({ node1: { version: '20.10.24', store: 'etcd', can_use: true }, node2: { version: '20.10.24', store: 'etcd', can_use: true } });
    expect(decideMode('auto', fine)).toMatchObject({ mode: 'store', swarm_mode: false, mode_reason: 'store: auto chose the etcd store: every engine can use it' });
  });
});
