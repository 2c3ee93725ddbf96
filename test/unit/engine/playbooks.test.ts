// Every backend's playbook loads and prepares, for up and down, against every example
// inventory of that backend and the inventory `sandbox up` writes for it: a broken playbook,
// task file or example fails here in seconds instead of in the end-to-end run.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { backends } from '../../../src/backends/index.js';
import { loadPlaybook, playbookDir, type PlaybookAction } from '../../../src/engine/playbook.js';
import { prepareTasks } from '../../../src/engine/prepare.js';
import { parseInventory } from '../../../src/inventory/load.js';
import { planInventory } from '../../../src/inventory/plan.js';
import type { Inventory } from '../../../src/inventory/types.js';
import { modules } from '../../../src/modules/index.js';
import { generateInventory } from '../../../src/sandbox/inventory.js';

const root = path.resolve(import.meta.dirname, '../../..');
const exampleDir = path.join(root, 'inventory');

async function examplesOf(backend: string): Promise<{ name: string; inventory: Inventory }[]> {
  const files = (await readdir(exampleDir)).filter((f) => f.endsWith('.example.yaml'));
  const all = await Promise.all(
    files.map(async (file) => ({ name: file, inventory: parseInventory(await readFile(path.join(exampleDir, file), 'utf8'), file) })),
  );
  return all.filter((example) => example.inventory.backend.name === backend);
}

function sandboxInventory(backend: (typeof backends)[number]): Inventory {
  const text = generateInventory({
    sandbox: 'meshctl-test',
    inventoryFile: 'lab.yaml',
    stateDirRelative: '.meshctl-sandbox/lab',
    backend,
    underlay: { subnet: '10.211.7.0/24', routerAddress: '10.211.7.254' },
    suite: 'bookworm',
    mirror: 'http://deb.debian.org/debian',
    hosts: [1, 2, 3].map((n) => ({ name: `node${n}`, address: `10.210.7.${10 + n}`, underlayAddress: `10.211.7.${10 + n}` })),
  }, []);
  return parseInventory(text, 'lab.yaml');
}

describe.each(backends.map((b) => [b.name, b] as const))('backend %s', async (name, backend) => {
  const playbook = await loadPlaybook(path.join(playbookDir(), backend.playbook), modules);
  const inventories = [...(await examplesOf(name)), { name: 'sandbox inventory', inventory: sandboxInventory(backend) }];

  it('has an example inventory and a docs page', async () => {
    expect(inventories.length, `no inventory/*.example.yaml with backend ${name}`).toBeGreaterThan(1);
    await expect(readFile(path.join(root, backend.docs), 'utf8')).resolves.toContain(name);
  });

  it.each(inventories.flatMap((i) => (['up', 'down'] as PlaybookAction[]).map((action) => [i.name, action, i.inventory] as const)))(
    'prepares against %s for %s',
    (_file, action, inventory) => {
      const plays = prepareTasks(playbook, action, inventory, planInventory(inventory), { purge: true });
      for (const host of inventory.hosts) {
        const tasks = plays.flatMap((play) => play.tasks.get(host.name) ?? []);
        expect(tasks.length, host.name).toBeGreaterThan(2);
      }
    },
  );
});
