// Which progress renderer a run gets, from its output and environment.
import { describe, expect, it } from 'vitest';
import { chooseProgress, listrRenderer } from '../../../src/engine/progress.js';

const tty = { isTTY: true };
const pipe = { isTTY: false };

describe('chooseProgress', () => {
  it('draws live rows only on a terminal, outside CI, with colours allowed and without -v', () => {
    expect(chooseProgress({ json: false, stream: tty, env: { TERM: 'xterm' }, verbose: false })).toBe('live');
    expect(chooseProgress({ json: false, stream: pipe, env: { TERM: 'xterm' }, verbose: false })).toBe('plain');
    expect(chooseProgress({ json: false, stream: tty, env: { CI: 'true' }, verbose: false })).toBe('plain');
    expect(chooseProgress({ json: false, stream: tty, env: { NO_COLOR: '1' }, verbose: false })).toBe('plain');
    expect(chooseProgress({ json: false, stream: tty, env: { TERM: 'dumb' }, verbose: false })).toBe('plain');
    expect(chooseProgress({ json: false, stream: tty, env: {}, verbose: true })).toBe('plain');
  });

  it('takes an empty NO_COLOR as unset (no-color.org)', () => {
    expect(chooseProgress({ json: false, stream: tty, env: { NO_COLOR: '' }, verbose: false })).toBe('live');
  });

  it('shows nothing when the output is JSON, even with -v', () => {
    expect(chooseProgress({ json: true, stream: tty, env: {}, verbose: true })).toBe('silent');
  });

  it('maps each mode to a Listr2 renderer', () => {
    expect(['live', 'plain', 'silent'].map((mode) => listrRenderer(mode as 'live'))).toEqual(['default', 'simple', 'silent']);
  });
});
