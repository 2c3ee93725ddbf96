// Builds a Debian root directory with debootstrap and removes it safely afterwards.
// Example: `await debootstrapRoot(hostRecipe, '/var/tmp/meshctl-root-x', log)`.
import { readFile, rm } from 'node:fs/promises';
import { SandboxError } from '../errors.js';
import { describeFailure, runCommand } from './exec.js';
import { debootstrapArgs, type HostRecipe } from './recipe.js';

export async function debootstrapRoot(recipe: HostRecipe, root: string): Promise<void> {
  const argv = debootstrapArgs(recipe, root);
  const result = await runCommand(argv, { timeoutMs: 20 * 60_000 });
  if (result.code !== 0) {
    const logHint = `${root}/debootstrap/debootstrap.log`;
    const log = await readFile(logHint, 'utf8').catch(() => '');
    const tail = log.trim().split('\n').slice(-15).join('\n');
    throw new SandboxError(
      `${describeFailure(argv, result)}${tail === '' ? '' : `\n${logHint}:\n${tail}`}\n` +
        'check that this machine reaches the Debian mirror, then run the command again',
    );
  }
}

/**
 * Deletes a root directory. debootstrap mounts /proc and /sys inside it and, inside a container,
 * may bind the machine's /dev: after a crash those mounts can remain, and deleting through them
 * would delete the machine's device nodes. So unmount whatever lies below first, and refuse if
 * something stays mounted.
 */
export async function removeRoot(root: string): Promise<void> {
  for (const mountPoint of await mountsBelow(root)) {
    await runCommand(['umount', '-l', mountPoint]);
  }
  const left = await mountsBelow(root);
  if (left.length > 0) {
    throw new SandboxError(`cannot delete ${root}: still mounted: ${left.join(', ')}; unmount them, then delete it`);
  }
  await rm(root, { recursive: true, force: true });
}

/** Mount points under `root`, deepest first. */
async function mountsBelow(root: string): Promise<string[]> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  const prefix = root.endsWith('/') ? root : `${root}/`;
  return mountinfo
    .split('\n')
    .map((line) => unescapeMountPath(line.split(' ')[4] ?? ''))
    .filter((point) => point.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

/** /proc/self/mountinfo writes space, tab, newline and backslash as octal escapes. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
