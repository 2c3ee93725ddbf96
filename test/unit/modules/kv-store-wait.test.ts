// What kv_store's wait does, run with sh over stand-ins for systemctl, etcdctl and journalctl: it
// returns once the unit is active, a leader is elected and the key reads back what was written,
// and past its bound it fails naming the unit, the host, the last answer and the journal.
// (The real stores were run with the same script on a Debian 12 host: see the module's report.)
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { kvWaitScript } from '../../../src/modules/kv-store-kinds.js';
import { kvStore, settingsOf } from '../../../src/modules/kv-store.js';

interface Store {
  /** What `systemctl is-active` says. */
  active: string;
  /** etcd's leader id in `endpoint status`, per call (the last one repeats). */
  leaders: number[];
  /** What `get` prints instead of the value put, if anything. */
  readsBack?: string;
}

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

function standIns(store: Store): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kv-wait-'));
  dirs.push(dir);
  const tool = (name: string, body: string): void => {
    writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(dir, name), 0o755);
  };
  tool('systemctl', `[ "$1" = is-active ] || exit 2\n[ "$2" = --quiet ] && { [ ${store.active} = active ]; exit; }\necho ${store.active}; [ ${store.active} = active ]`);
  tool('journalctl', 'echo "journal of $2: raft: no leader"');
  const leaders = store.leaders.join(' ');
  const readBack = store.readsBack === undefined ? `cat ${dir}/value` : `echo ${store.readsBack}`;
  tool(
    'etcdctl',
    [
      'for arg; do case $arg in --*) shift ;; *) break ;; esac; done',
      'case "$1 $2" in',
      `"endpoint status") n=$(cat ${dir}/calls 2>/dev/null || echo 0); echo $((n + 1)) > ${dir}/calls`,
      `  set -- ${leaders}; shift $(( n < $# ? n : $# - 1 )); echo "[{\\"Status\\":{\\"leader\\":$1,\\"raftIndex\\":5}}]" ;;`,
      `"put "*) printf '%s' "$3" > ${dir}/value; echo OK ;;`,
      `"get --print-value-only") ${readBack} ;;`,
      '*) echo "unexpected etcdctl $*" >&2; exit 2 ;;',
      'esac',
    ].join('\n'),
  );
  return dir;
}

function waitOn(store: Store, waitSeconds: number): { code: number | null; stderr: string; seconds: number } {
  const params = kvStore.params.parse({ type: 'etcd', name: 'node1', address: '10.211.1.11', nodes: [{ name: 'node1', address: '10.211.1.11' }] });
  const dir = standIns(store);
  const started = Date.now();
  const result = spawnSync('sh', ['-c', kvWaitScript(settingsOf(params), waitSeconds)], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` },
  });
  return { code: result.status, stderr: result.stderr, seconds: (Date.now() - started) / 1000 };
}

describe('kv_store wait', () => {
  it('returns once a leader is elected and the key reads back', () => {
    const result = waitOn({ active: 'active', leaders: [0, 0, 4242] }, 30);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // Two polls without a leader, one second apart: no fixed sleep beyond that.
    expect(result.seconds).toBeLessThan(10);
  });

  it('fails past its bound without a leader, with the last answer and the journal', () => {
    const result = waitOn({ active: 'active', leaders: [0] }, 2);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('meshctl-etcd.service on node1 did not answer within 2s');
    expect(result.stderr).toContain('no leader elected yet');
    expect(result.stderr).toContain('journal of meshctl-etcd.service: raft: no leader');
    expect(result.seconds).toBeLessThan(10);
  });

  it('does not take a leader for an answer when the key reads back something else', () => {
    const result = waitOn({ active: 'active', leaders: [7], readsBack: 'stale' }, 1);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("read back 'stale' from /meshctl/probe/node1");
  });

  it('says so when the unit is not active', () => {
    const result = waitOn({ active: 'failed', leaders: [7] }, 1);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('meshctl-etcd.service is failed');
  });
});
