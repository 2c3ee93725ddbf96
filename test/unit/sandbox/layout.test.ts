// sandboxLayout: the sandbox name and state directory follow from the inventory path.
import { describe, expect, it } from 'vitest';
import { sandboxLayout } from '../../../src/sandbox/layout.js';

describe('sandboxLayout', () => {
  const layout = sandboxLayout('demo/lab.yaml', '/work/main');

  it('names the sandbox after the inventory and a hash of its absolute path', () => {
    expect(layout.name).toMatch(/^meshctl-lab-[0-9a-f]{6}$/);
    expect(sandboxLayout('/work/main/demo/lab.yaml', '/').name).toBe(layout.name);
    expect(sandboxLayout('other/lab.yaml', '/work/main').name).not.toBe(layout.name);
  });

  it('keeps its state beside the inventory', () => {
    expect(layout.inventoryPath).toBe('/work/main/demo/lab.yaml');
    expect(layout.stateDir).toBe('/work/main/demo/.meshctl-sandbox/lab');
    expect(layout.stateDirRelative).toBe('.meshctl-sandbox/lab');
    expect(layout.keyPath).toBe('/work/main/demo/.meshctl-sandbox/lab/id_ed25519');
    expect(layout.knownHostsPath).toBe('/work/main/demo/.meshctl-sandbox/lab/known_hosts');
    expect(layout.statePath).toBe('/work/main/demo/.meshctl-sandbox/lab/sandbox.json');
  });

  it('makes a Docker-safe name from any file name', () => {
    expect(sandboxLayout('/x/My Lab!.yml').name).toMatch(/^meshctl-my-lab-[0-9a-f]{6}$/);
    expect(sandboxLayout('/x/!!!.yaml').name).toMatch(/^meshctl-inventory-[0-9a-f]{6}$/);
  });
});
