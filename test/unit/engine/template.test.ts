import { describe, expect, it } from 'vitest';
import { evaluateCondition, render, TemplateError } from '../../../src/engine/template.js';

const vars = { mesh: { mtu: 1462, peers: [{ name: 'b' }], ovs: { datapath: 'netdev' } }, purge: false, name: 'a' };

describe('render', () => {
  it('keeps the type of a whole-value lookup', () => {
    expect(render({ mtu: '{{ mesh.mtu }}', peers: '{{mesh.peers}}' }, vars)).toEqual({ mtu: 1462, peers: [{ name: 'b' }] });
  });
  it('pastes values into longer strings', () => {
    expect(render(['mtu={{ mesh.mtu }} on {{ name }}'], vars)).toEqual(['mtu=1462 on a']);
  });
  it('fails on an undefined variable, naming it', () => {
    expect(() => render('{{ mesh.mut }}', vars)).toThrow(new TemplateError("undefined variable 'mesh.mut'"));
  });
});

describe('evaluateCondition', () => {
  it('compares, negates and tests truth', () => {
    expect(evaluateCondition('mesh.ovs.datapath == netdev', vars)).toBe(true);
    expect(evaluateCondition("mesh.ovs.datapath != 'netdev'", vars)).toBe(false);
    expect(evaluateCondition('purge', vars)).toBe(false);
    expect(evaluateCondition('not purge', vars)).toBe(true);
    expect(() => evaluateCondition('mesh.mtu > 3', vars)).toThrow(TemplateError);
  });

  it('holds for parts joined by and only when every part holds', () => {
    expect(evaluateCondition('mesh.ovs.datapath == netdev and not purge', vars)).toBe(true);
    expect(evaluateCondition('mesh.ovs.datapath == netdev and purge', vars)).toBe(false);
    expect(() => evaluateCondition('not purge and mesh.mtu > 3', vars)).toThrow(TemplateError);
  });
});
