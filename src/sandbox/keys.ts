// The sandbox's SSH client key pair and known_hosts file, kept in its state directory.
// Example: `await ensureKeyPair(layout)`; `await forgetHostKey(layout.knownHostsPath, '10.210.1.11')`.
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { runChecked, runCommand } from './exec.js';
import type { SandboxLayout } from './layout.js';

/** Creates id_ed25519 (no passphrase) and an empty known_hosts unless present; returns the public key. */
export async function ensureKeyPair(layout: SandboxLayout): Promise<string> {
  await mkdir(layout.stateDir, { recursive: true, mode: 0o700 });
  // The state directory often sits inside a git work tree: keep the private key out of commits.
  const ignore = join(dirname(layout.stateDir), '.gitignore');
  if (!(await exists(ignore))) await writeFile(ignore, '# written by meshctl sandbox: keys and state stay out of git\n*\n');
  if (!(await exists(layout.keyPath))) {
    await rm(`${layout.keyPath}.pub`, { force: true });
    await runChecked(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', layout.name, '-f', layout.keyPath]);
  }
  if (!(await exists(layout.knownHostsPath))) await writeFile(layout.knownHostsPath, '', { mode: 0o600 });
  return (await readFile(`${layout.keyPath}.pub`, 'utf8')).trim();
}

/** A recreated host has a new host key: drop the old one so meshctl records the new one. */
export async function forgetHostKey(knownHostsPath: string, address: string): Promise<void> {
  if (!(await exists(knownHostsPath))) return;
  await runCommand(['ssh-keygen', '-R', address, '-f', knownHostsPath]);
  await rm(`${knownHostsPath}.old`, { force: true });
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
