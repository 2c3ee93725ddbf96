import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseInventory } from '../../../src/inventory/load.js';
import { planInventory } from '../../../src/inventory/plan.js';

const dir = path.resolve(import.meta.dirname, '../../../inventory');

describe('example inventories', async () => {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml'));
  it('exist', () => expect(files.length).toBeGreaterThan(0));
  it.each(files)('%s is valid and plans non-overlapping slices', async (file) => {
    const inventory = parseInventory(await readFile(path.join(dir, file), 'utf8'), file);
    const slices = [...planInventory(inventory).hosts.values()].map((h) => h.slice);
    expect(new Set(slices).size).toBe(inventory.hosts.length);
  });
});
