import { describe, expect, it } from 'vitest';
import { limitHosts } from '../../../src/commands/context.js';
import { UsageError } from '../../../src/errors.js';
import { parseInventory } from '../../../src/inventory/load.js';

// Groups as an operator writes them: edge (two hosts), core (one), spare (defined, no host yet).
const inventory = parseInventory(
  `groups:
  edge: {}
  core: {}
  spare: {}
hosts:
  - { name: node1, address: 10.0.0.1, groups: [edge] }
  - { name: node2, address: 10.0.0.2, groups: [core] }
  - { name: node3, address: 10.0.0.3, groups: [edge] }
  - { name: node4, address: 10.0.0.4 }
mesh: { backend: ovs-gre, pool: 172.17.0.0/16, slice_prefix: 18 }
`,
  'inv.yaml',
);
const names = (limit: string | undefined): string[] => limitHosts(inventory, limit).map((host) => host.name);
const refusal = (limit: string): string => {
  try {
    limitHosts(inventory, limit);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error(`--limit ${limit} was accepted`);
};

describe('limitHosts', () => {
  it('is every host without a limit', () => {
    expect(names(undefined)).toEqual(['node1', 'node2', 'node3', 'node4']);
  });

  it('takes host names and group names together, in inventory order, each host once', () => {
    expect(names('node4,edge')).toEqual(['node1', 'node3', 'node4']);
    expect(names(' core , node2 ')).toEqual(['node2']);
    expect(names('edge,spare')).toEqual(['node1', 'node3']);
  });

  it('refuses unknown names, listing the hosts and groups there are', () => {
    expect(refusal('node9,egde')).toBe(
      '--limit: no host or group named node9 (did you mean node1?), egde (did you mean edge?); hosts: node1, node2, node3, node4; groups: edge, core, spare',
    );
  });

  it('refuses a limit that selects no host', () => {
    expect(refusal('spare')).toBe('--limit spare: no host is in that group');
    expect(refusal(',')).toBe('--limit: name at least one host or group');
  });
});
