// A fake host behind the Connection interface, for engine tests: every script runs in a real
// local `sh` (so a batch of facts is framed and cut up as on a host), with two commands of its own
// over a key-value store kept in a directory, and a log of every call the engine made.
//   kv get KEY        prints the value and a newline (only the newline when unset)
//   kv set KEY VALUE  sets it
//   fail CODE TEXT    prints TEXT on stderr (`\n` starts a line) and exits CODE
// A test can add commands of its own, which come first on PATH (a broken `base64`, say).
// `start` runs a command in a local `sh` of its own process group, its stdin a pipe kept open
// until `end()` or `close()`, as an SSH channel's is until the session ends, in a directory of the
// host's name that every FakeHost of that name shares: a relative path there (a lock file) is a
// file on "that machine", which two sessions to it both see.
import { execFile, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { z } from 'zod';
import { change, defineModule, FactParseError, ok, put, refuse, run, type Step } from '../../../src/engine/module.js';
import type { PreparedTask } from '../../../src/engine/prepare.js';
import type { Connection, ExecResult, RunningCommand } from '../../../src/transport/connection.js';
import { OutputLines } from '../../../src/transport/output-lines.js';
import { shellJoin } from '../../../src/transport/quote.js';

export type Call =
  | { kind: 'script'; script: string }
  | { kind: 'put'; path: string; content: string; mode: number | undefined }
  | { kind: 'start'; command: string; become: boolean | undefined };

/** A command `start` left running on the fake host; `kill` signals its whole process group. */
export interface FakeRunningCommand extends RunningCommand {
  kill(signal: NodeJS.Signals): void;
}

const KV = `#!/bin/sh
case "$1 $#" in
  'get 2') [ ! -f "$FAKE_STORE/$2" ] || cat "$FAKE_STORE/$2"; echo ;;
  'set 3') printf %s "$3" > "$FAKE_STORE/$2" ;;
  *) echo "kv: bad arguments: $*" >&2; exit 64 ;;
esac
`;
const FAIL = `#!/bin/sh
code=$1; shift
printf '%b\\n' "$*" >&2
exit "$code"
`;

const roots: string[] = [];
/** Where `start` runs commands: machines/<host name>. */
const machines = mkdtempSync(path.join(tmpdir(), 'meshctl-fake-machines-'));
roots.push(machines);
// Registered while the test file that imports this is collected: runs once its tests are done.
afterAll(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

export class FakeHost implements Connection {
  readonly calls: Call[] = [];
  closed = false;
  /** What `start` started, in order. */
  readonly started: FakeRunningCommand[] = [];
  private readonly running = new Set<FakeRunningCommand>();
  private readonly root = mkdtempSync(path.join(tmpdir(), 'meshctl-fake-host-'));
  private readonly storeDir = path.join(this.root, 'store');

  constructor(readonly host: string, initial: Record<string, string> = {}, commands: Record<string, string> = {}) {
    roots.push(this.root);
    mkdirSync(this.storeDir);
    mkdirSync(path.join(this.root, 'bin'));
    for (const [name, text] of Object.entries({ kv: KV, fail: FAIL, ...commands })) {
      writeFileSync(path.join(this.root, 'bin', name), text);
      chmodSync(path.join(this.root, 'bin', name), 0o755);
    }
    for (const [key, value] of Object.entries(initial)) this.write(key, value);
  }

  /** The store as it is now, keys in order. */
  get store(): Map<string, string> {
    const keys = readdirSync(this.storeDir).map(decodeURIComponent).sort();
    return new Map(keys.map((key) => [key, readFileSync(path.join(this.storeDir, encodeURIComponent(key)), 'utf8')]));
  }

  /** What the engine changed: files put and step scripts (which it sends as `set -e` scripts). */
  get changes(): Call[] {
    return this.calls.filter((call) => call.kind === 'put' || (call.kind === 'script' && call.script.startsWith('set -e\n')));
  }

  /** Every script but the steps: the reads of facts. */
  get reads(): string[] {
    return this.calls.flatMap((call) => (call.kind === 'script' && !call.script.startsWith('set -e\n') ? [call.script] : []));
  }

  async exec(argv: readonly string[]): Promise<ExecResult> {
    return this.execScript(shellJoin(argv));
  }

  async execScript(script: string): Promise<ExecResult> {
    this.calls.push({ kind: 'script', script });
    return new Promise((resolve) => {
      const child = execFile('sh', ['-c', script], { env: this.env(), encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ stdout: stdout.toString('utf8'), stderr: stderr.toString('utf8'), code, signal: error?.signal ?? null });
      });
      child.stdin?.end();
    });
  }

  async putFile(remotePath: string, content: string | Buffer, options: { mode?: number } = {}): Promise<void> {
    this.calls.push({ kind: 'put', path: remotePath, content: String(content), mode: options.mode });
    this.write(remotePath, String(content));
  }

  async start(argv: readonly string[], options: { become?: boolean } = {}): Promise<FakeRunningCommand> {
    const command = shellJoin(argv);
    this.calls.push({ kind: 'start', command, become: options.become });
    const cwd = path.join(machines, this.host);
    mkdirSync(cwd, { recursive: true });
    const child = spawn('sh', ['-c', command], { cwd, env: this.env(), detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const lines = new OutputLines();
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      lines.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // A command that is gone already makes writing to it fail; the exit tells the story.
    child.stdin.on('error', () => undefined);
    const exited = new Promise<ExecResult>((resolve) => {
      child.on('close', (code, signal) => {
        lines.end();
        resolve({ stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), code, signal });
      });
    });
    const running: FakeRunningCommand = {
      nextLine: () => lines.next(),
      exited,
      end: async () => {
        child.stdin.end();
        await exited;
        this.running.delete(running);
      },
      kill: (signal) => {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      },
    };
    this.running.add(running);
    this.started.push(running);
    return running;
  }

  /** Like a closed SSH session: every command still running sees the end of its stdin. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.running].map((command) => command.end()));
  }

  private env(): NodeJS.ProcessEnv {
    return { ...process.env, PATH: `${path.join(this.root, 'bin')}:${process.env.PATH ?? ''}`, FAKE_STORE: this.storeDir };
  }

  private write(key: string, value: string): void {
    writeFileSync(path.join(this.storeDir, encodeURIComponent(key)), value);
  }
}

// A module over the fake host's store: `key` should hold `value`. Its plan runs the steps it is
// given (default: `kv set`), so a test can make a step that never converges or that fails.
const kvParams = z.strictObject({
  key: z.string(),
  value: z.string(),
  steps: z.array(z.union([z.string(), z.strictObject({ put: z.string(), content: z.string() })])).optional(),
  refuse: z.string().optional(),
});
type KvParams = z.output<typeof kvParams>;

export const kvModule = defineModule<KvParams, { value: string }>({
  name: 'kv',
  params: kvParams,
  facts: (p) => ({
    value: {
      command: `kv get ${p.key}`,
      parse: (result) => {
        if (result.code !== 0) throw new FactParseError(`kv get failed (exit ${result.code})`);
        return result.stdout.trim();
      },
    },
  }),
  plan(p, facts) {
    if (p.refuse !== undefined) refuse(p.refuse);
    if (facts.value === p.value) return ok(`${p.key} is ${p.value}`);
    const steps: Step[] = (p.steps ?? [`kv set ${p.key} ${p.value}`]).map((step) =>
      typeof step === 'string' ? run(step) : put(step.put, step.content, 0o600),
    );
    return change(`set ${p.key} to ${p.value} (was '${facts.value}')`, steps);
  },
});

export function kvTask(name: string, params: z.input<typeof kvParams>): PreparedTask {
  return { name, module: kvModule, params: kvModule.params.parse(params) };
}

/** A task whose module has a bug: its plan dereferences a fact that is not there. */
export function buggyTask(name: string): PreparedTask {
  const buggy = defineModule<Record<string, never>, { value: string }>({
    name: 'buggy',
    params: z.strictObject({}),
    facts: () => ({ value: { command: 'kv get anything', parse: (result) => result.stdout } }),
    plan: (_p, facts) => ok((facts as unknown as { missing: { name: string } }).missing.name),
  });
  return { name, module: buggy, params: {} };
}
