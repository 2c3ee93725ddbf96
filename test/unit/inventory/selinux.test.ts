// `selinux:`: what the loader accepts, what playbooks see, and which backends' playbooks run the
// selinux module with what it allows.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlaybook, playbookDir, type PlaybookAction } from '../../../src/engine/playbook.js';
import { prepareTasks } from '../../../src/engine/prepare.js';
import { hostVars } from '../../../src/engine/vars.js';
import { parseInventory } from '../../../src/inventory/load.js';
import { planInventory } from '../../../src/inventory/plan.js';
import { modules } from '../../../src/modules/index.js';
import { refusedWith } from './refused-with.js';

const examples = path.resolve(import.meta.dirname, '../../../inventory');

const exampleText = (backend: string): Promise<string> => readFile(path.join(examples, `${backend}.example.yaml`), 'utf8');

function varsOf(text: string): unknown {
  const inventory = parseInventory(text, 'inv.yaml');
  const host = inventory.hosts[0];
  if (host === undefined) throw new Error('no host');
  return hostVars(inventory, planInventory(inventory), host, { purge: false })['selinux'];
}

/** The params of every selinux task the backend's playbook gives the inventory's first host. */
async function selinuxTasks(text: string, action: PlaybookAction): Promise<unknown[]> {
  const inventory = parseInventory(text, 'inv.yaml');
  const playbook = await loadPlaybook(path.join(playbookDir(), inventory.backend.playbook), modules);
  const host = inventory.hosts[0]?.name ?? '';
  return prepareTasks(playbook, action, inventory, planInventory(inventory), { purge: false })
    .flatMap((play) => play.tasks.get(host) ?? [])
    .filter((task) => task.module.name === 'selinux')
    .map((task) => task.params);
}

describe('selinux:', () => {
  it('is enforcing when left out: playbooks may not set it permissive', async () => {
    expect(varsOf(await exampleText('ovs-gre'))).toEqual({ mode: 'enforcing', permissive: false });
  });

  it('says permissive to playbooks when the inventory does', async () => {
    expect(varsOf(`selinux: permissive\n${await exampleText('ovs-gre')}`)).toEqual({ mode: 'permissive', permissive: true });
  });

  it('refuses disabled, at its line', async () => {
    const text = `# a comment\nselinux: disabled\n${await exampleText('ovs-gre')}`;
    const [problem, ...others] = refusedWith(() => parseInventory(text, 'inv.yaml'));
    expect(others).toEqual([]);
    expect(problem).toMatch(/^2:10 selinux: .*enforcing.*permissive/);
  });
});

describe('the selinux tasks', () => {
  it.each(['ovs-gre', 'ovs-vxlan'])('%s sets it permissive on up only as the inventory allows, and restores on down', async (backend) => {
    const text = await exampleText(backend);
    expect(await selinuxTasks(text, 'up')).toEqual([{ state: 'permissive', allowed: false }]);
    expect(await selinuxTasks(`selinux: permissive\n${text}`, 'up')).toEqual([{ state: 'permissive', allowed: true }]);
    expect(await selinuxTasks(text, 'down')).toMatchObject([{ state: 'restored' }]);
  });

  it('l2 runs it on up only with a VLAN (Open vSwitch), and restores on down either way', async () => {
    const untagged = `selinux: permissive\n${await exampleText('l2')}`;
    const tagged = untagged.replace('# vlan: 100', 'vlan: 100');
    expect(tagged).not.toBe(untagged);
    expect(await selinuxTasks(untagged, 'up')).toEqual([]);
    expect(await selinuxTasks(tagged, 'up')).toEqual([{ state: 'permissive', allowed: true }]);
    expect(await selinuxTasks(untagged, 'down')).toMatchObject([{ state: 'restored' }]);
  });

  it.each(['vxlan', 'overlay'])('%s, without Open vSwitch, leaves SELinux alone', async (backend) => {
    const text = `selinux: permissive\n${await exampleText(backend)}`;
    expect(await selinuxTasks(text, 'up')).toEqual([]);
    expect(await selinuxTasks(text, 'down')).toEqual([]);
  });
});
