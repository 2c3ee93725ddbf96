// The diffs and scripts `meshctl plan` and `--diff` print, and their --json shape. Expected
// diffs are written out as `diff -u` prints them for the same two files.
import { describe, expect, it } from 'vitest';
import type { TaskResult } from '../../../src/engine/apply.js';
import { put, run } from '../../../src/engine/module.js';
import { formatPlan, planJson, wantsColour } from '../../../src/engine/plan-output.js';
import type { RunResult } from '../../../src/engine/result.js';
import { unifiedDiff } from '../../../src/engine/unified-diff.js';

const labels = { from: 'a (on node1)', to: 'a (wanted)' };
const numbered = (from: number, to: number): string => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`).join('\n') + '\n';

describe('unifiedDiff', () => {
  it('shows a created file as every line added', () => {
    expect(unifiedDiff(null, 'x = 1\ny = 2\n', labels)).toBe(['--- a (on node1)', '+++ a (wanted)', '@@ -0,0 +1,2 @@', '+x = 1', '+y = 2'].join('\n'));
  });

  it('shows a deleted file as every line removed', () => {
    expect(unifiedDiff('x = 1\n', null, labels)).toBe(['--- a (on node1)', '+++ a (wanted)', '@@ -1 +0,0 @@', '-x = 1'].join('\n'));
  });

  it('keeps 3 lines of context around a change, and splits changes far apart into hunks', () => {
    const before = numbered(1, 20);
    const after = before.replace('line 2\n', 'line two\n').replace('line 17\n', 'line seventeen\n');
    expect(unifiedDiff(before, after, labels)).toBe(
      [
        '--- a (on node1)',
        '+++ a (wanted)',
        '@@ -1,5 +1,5 @@',
        ' line 1',
        '-line 2',
        '+line two',
        ' line 3',
        ' line 4',
        ' line 5',
        '@@ -14,7 +14,7 @@',
        ' line 14',
        ' line 15',
        ' line 16',
        '-line 17',
        '+line seventeen',
        ' line 18',
        ' line 19',
        ' line 20',
      ].join('\n'),
    );
  });

  it('joins changes whose contexts touch into one hunk', () => {
    const before = numbered(1, 12);
    const after = before.replace('line 3\n', '').replace('line 9\n', 'line 9\nline 9b\n');
    expect(unifiedDiff(before, after, labels)).toBe(
      ['--- a (on node1)', '+++ a (wanted)', '@@ -1,12 +1,12 @@', ' line 1', ' line 2', '-line 3', ' line 4', ' line 5', ' line 6', ' line 7', ' line 8', ' line 9', '+line 9b', ' line 10', ' line 11', ' line 12'].join('\n'),
    );
  });

  it('marks a last line without a newline, and sees adding one as a change', () => {
    expect(unifiedDiff('a\nb', 'a\nb\n', labels)).toBe(['--- a (on node1)', '+++ a (wanted)', '@@ -1,2 +1,2 @@', ' a', '-b', '\\ No newline at end of file', '+b'].join('\n'));
  });

  it('is empty for the same text', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n', labels)).toBe('');
  });
});

function resultOf(hosts: Record<string, TaskResult[]>): RunResult {
  return new Map(Object.entries(hosts).map(([name, tasks]) => [name, { tasks, unreachable: false }]));
}

const sysctlTask: TaskResult = {
  task: 'Forward IPv4',
  status: 'changed',
  reason: 'would change: set net.ipv4.ip_forward to 1 (was 0) and persist it in /etc/sysctl.d/60-meshctl.conf',
  steps: [
    put('/etc/sysctl.d/60-meshctl.conf', 'kernel.x = 2\n# meshctl: net.ipv4.ip_forward was 0\nnet.ipv4.ip_forward = 1\n', 0o644, 'kernel.x = 2\n'),
    run("sysctl -q -w 'net.ipv4.ip_forward=1'\nif true; then\n  echo done\nfi"),
  ],
};

describe('formatPlan', () => {
  it('lists per host each changing task with its diffs and scripts, indented, and skips hosts with no change', () => {
    const text = formatPlan(
      resultOf({
        node1: [{ task: 'Install packages', status: 'ok', reason: 'installed' }, sysctlTask],
        node2: [{ task: 'Forward IPv4', status: 'ok', reason: 'net.ipv4.ip_forward is 1' }],
      }),
      { colour: false },
    );
    expect(text).toBe(
      [
        'node1',
        '  Forward IPv4: would change: set net.ipv4.ip_forward to 1 (was 0) and persist it in /etc/sysctl.d/60-meshctl.conf',
        '    --- /etc/sysctl.d/60-meshctl.conf (on node1)',
        '    +++ /etc/sysctl.d/60-meshctl.conf (wanted)',
        '    @@ -1 +1,3 @@',
        '     kernel.x = 2',
        '    +# meshctl: net.ipv4.ip_forward was 0',
        '    +net.ipv4.ip_forward = 1',
        '    run:',
        "      sysctl -q -w 'net.ipv4.ip_forward=1'",
        '      if true; then',
        '        echo done',
        '      fi',
      ].join('\n'),
    );
  });

  it('names a file that is not there yet, and one the module did not read', () => {
    const text = formatPlan(
      resultOf({ n: [{ task: 't', status: 'changed', reason: 'r', steps: [put('/new', 'x\n', 0o644, null), put('/unread', 'y\n')] }] }),
      { colour: false },
    );
    expect(text).toContain('--- /new (on n: none)\n    +++ /new (wanted)\n    @@ -0,0 +1 @@\n    +x');
    expect(text).toContain('--- /unread (on n: not read)\n    +++ /unread (wanted)\n    @@ -0,0 +1 @@\n    +y');
  });

  it('is empty when nothing changes, and plain text unless colour is asked for', () => {
    expect(formatPlan(resultOf({ n: [{ task: 't', status: 'ok', reason: 'fine' }] }), { colour: false })).toBe('');
    const plain = formatPlan(resultOf({ node1: [sysctlTask] }), { colour: false });
    expect(plain).not.toContain('\u001b[');
    const coloured = formatPlan(resultOf({ node1: [sysctlTask] }), { colour: true });
    expect(coloured).toContain('\u001b[32m+net.ipv4.ip_forward = 1\u001b[0m');
    expect(coloured.replace(/\u001b\[\d+m/g, '')).toBe(plain);
  });
});

describe('planJson', () => {
  it('gives every task of each host, with steps (scripts, and files with their diff) for those that change', () => {
    const json = planJson(resultOf({ node1: [{ task: 'Install packages', status: 'ok', reason: 'installed' }, sysctlTask] }));
    expect(json).toEqual({
      node1: [
        { task: 'Install packages', status: 'ok', reason: 'installed' },
        {
          task: 'Forward IPv4',
          status: 'changed',
          reason: sysctlTask.reason,
          steps: [
            {
              put: '/etc/sysctl.d/60-meshctl.conf',
              diff: '--- /etc/sysctl.d/60-meshctl.conf (on node1)\n+++ /etc/sysctl.d/60-meshctl.conf (wanted)\n@@ -1 +1,3 @@\n kernel.x = 2\n+# meshctl: net.ipv4.ip_forward was 0\n+net.ipv4.ip_forward = 1',
            },
            { run: "sysctl -q -w 'net.ipv4.ip_forward=1'\nif true; then\n  echo done\nfi" },
          ],
        },
      ],
    });
  });
});

describe('wantsColour', () => {
  it('only on a TTY with NO_COLOR unset or empty', () => {
    expect(wantsColour({ isTTY: true }, {})).toBe(true);
    expect(wantsColour({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColour({ isTTY: false }, {})).toBe(false);
    expect(wantsColour({}, {})).toBe(false);
  });
});
