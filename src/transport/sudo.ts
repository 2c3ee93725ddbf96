// become: runs commands as root through sudo, finding out once per connection how sudo lets the
// login user in (no password, or the become password on stdin), so a refusal is reported as
// such and never mistaken for the command's own failure.
import { ConnectError } from '../errors.js';
import type { Host } from '../inventory/types.js';
import type { ExecResult } from './connection.js';
import { endpoint } from './endpoint.js';
import { shellJoin } from './quote.js';

type BecomeMode = 'sudo' | 'sudo-with-password';

/** Runs one command as the login user, as it is (the connection's raw run). */
export type RawRun = (request: { command: string; label: string; stdin?: string }) => Promise<ExecResult>;

export class Sudo {
  private mode: Promise<BecomeMode> | null = null;

  constructor(
    private readonly runRaw: RawRun,
    private readonly target: Host,
    private readonly password: string | undefined,
  ) {}

  /** `command` (and its stdin) as run through sudo, once sudo is known to let this user in. */
  async wrap(command: string, stdin: string | Buffer | undefined): Promise<{ command: string; stdin?: string | Buffer }> {
    const mode = await this.resolveMode();
    if (mode === 'sudo') return { command: shellJoin(['sudo', '-n', '--', 'sh', '-c', command]), stdin };
    // -k makes sudo read the password every time, so the password line can never fall
    // through to the command's stdin because of a cached sudo timestamp.
    return {
      command: shellJoin(['sudo', '-k', '-S', '-p', '', '--', 'sh', '-c', command]),
      stdin: Buffer.concat([Buffer.from(`${this.password ?? ''}\n`), typeof stdin === 'string' ? Buffer.from(stdin, 'utf8') : (stdin ?? Buffer.alloc(0))]),
    };
  }

  private resolveMode(): Promise<BecomeMode> {
    this.mode ??= this.probeSudo().catch((error: unknown) => {
      // A refusal stays true for this connection; a timeout or a lost connection may not.
      if (!(error instanceof ConnectError && error.reason === 'become')) this.mode = null;
      throw error;
    });
    return this.mode;
  }

  /**
   * Finds out once per connection how sudo lets this user in, so that the real commands'
   * exit codes and stderr are theirs alone. Throws ConnectError 'become' when it will not.
   */
  private async probeSudo(): Promise<BecomeMode> {
    const who = `${this.target.ssh.user}@${endpoint(this.target)}`;
    const refused = (detail: string) => new ConnectError(this.target.name, 'become', `${who}: ${detail}`);
    // -k: ignore cached credentials, so success means sudoers needs no password for this user.
    const probe = await this.runRaw({ command: 'sudo -k -n true', label: 'sudo -k -n true' });
    if (probe.code === 0) return 'sudo';
    if (probe.code === 127) throw refused('sudo is not installed, and become needs it');
    if (!/password is required/i.test(probe.stderr)) throw refused(`sudo refused: ${firstLine(probe.stderr)}`);
    if (this.password === undefined) {
      throw refused('sudo needs a password: name the variable holding it with become_password_env (and export it), or set become_password_prompt: true to be asked on the terminal');
    }
    const check = await this.runRaw({
      command: "sudo -k -S -p '' -- true",
      label: 'sudo -S true',
      stdin: `${this.password}\n`,
    });
    if (check.code === 0) return 'sudo-with-password';
    if (/incorrect password|try again|no password was provided/i.test(check.stderr)) throw refused('sudo rejected the become password');
    throw refused(`sudo refused: ${firstLine(check.stderr)}`);
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}
