import { describe, expect, it } from 'vitest';
import { closest, editDistance } from '../../../src/inventory/suggest.js';

describe('editDistance', () => {
  it.each([
    ['underlay_adress', 'underlay_address', 1],
    ['rtsp', 'rstp', 1], // a swap of neighbours is one edit
    ['port', 'user', 4],
    ['', 'key', 3],
  ])('%s → %s is %i', (a, b, distance) => expect(editDistance(a, b)).toBe(distance));
});

describe('closest', () => {
  const sshKeys = ['user', 'port', 'key', 'known_hosts', 'connect_timeout', 'command_timeout'];

  it('finds a misspelling, ignoring case and - for _', () => {
    expect(closest('knownhosts', sshKeys)).toBe('known_hosts');
    expect(closest('Connect-Timeout', sshKeys)).toBe('connect_timeout');
    expect(closest('comand_timeout', sshKeys)).toBe('command_timeout');
  });

  it('allows short words one edit only, and suggests nothing far away', () => {
    expect(closest('prt', sshKeys)).toBe('port');
    expect(closest('pt', sshKeys)).toBeUndefined();
    expect(closest('hostname', sshKeys)).toBeUndefined();
  });
});
