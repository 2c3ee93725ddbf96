// Provides the host image `meshctl-host:<recipe hash>`, building it locally when missing:
// debootstrap → `docker import` (base image) → customisation in a container → `docker commit`.
// Concurrent callers on one machine build it once. Example: `const tag = await ensureHostImage(hostRecipe("bullseye"), log)`.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SandboxError } from '../errors.js';
import { aptInstall, hasProgram } from './apt.js';
import { runChecked, runCommand } from './exec.js';
import { withFileLock } from '../file-lock.js';
import { baseImageTag, hostImageTag, shortHash, type HostRecipe } from './recipe.js';
import { debootstrapRoot, removeRoot } from './rootfs.js';

const lockPath = join(tmpdir(), 'meshctl-host-image.lock');
const buildTimeoutMs = 30 * 60_000;

export async function ensureHostImage(recipe: HostRecipe, log: (line: string) => void): Promise<string> {
  const tag = hostImageTag(recipe);
  if (await imageExists(tag)) return tag;
  const onWait = (pid: number): void => log(`waiting for process ${pid}, which is building the host image`);
  return withFileLock(lockPath, buildTimeoutMs, onWait, async () => {
    if (await imageExists(tag)) return tag;
    const started = Date.now();
    const base = await ensureBaseImage(recipe, log);
    await customise(base, tag, recipe, log);
    log(`built host image ${tag} in ${Math.round((Date.now() - started) / 1000)}s`);
    return tag;
  }, (message) => new SandboxError(message));
}

export async function imageExists(tag: string): Promise<boolean> {
  return (await runCommand(['docker', 'image', 'inspect', '--format', '{{.Id}}', tag])).code === 0;
}

async function ensureBaseImage(recipe: HostRecipe, log: (line: string) => void): Promise<string> {
  const tag = baseImageTag(recipe);
  if (await imageExists(tag)) return tag;
  if (process.getuid?.() !== 0) throw new SandboxError('building the host image needs root (debootstrap): run as root');
  if (!(await hasProgram('debootstrap'))) await aptInstall(['debootstrap'], log);
  const root = await mkdtemp(join('/var/tmp', 'meshctl-root-'));
  try {
    log(`building ${tag}: debootstrap ${recipe.suite} from ${recipe.mirror} (takes 1-2 minutes)`);
    await debootstrapRoot(recipe, root);
    log(`importing ${tag}`);
    // Numeric owners: the root's users are not this machine's. File capabilities (ping) travel as xattrs.
    const script = 'set -o pipefail; tar --numeric-owner --xattrs --xattrs-include=security.capability -C "$1" -c . | docker import --change \'CMD ["/sbin/init"]\' - "$2"';
    await runChecked(['bash', '-c', script, 'import', root, tag], { timeoutMs: 10 * 60_000 });
  } finally {
    await removeRoot(root);
  }
  return tag;
}

/** Runs the customisation in a throwaway container of the base image and commits the result. */
async function customise(base: string, tag: string, recipe: HostRecipe, log: (line: string) => void): Promise<void> {
  const builder = `meshctl-image-build-${shortHash(recipe)}`;
  log(`customising ${base} into ${tag}`);
  await runCommand(['docker', 'rm', '-f', builder]);
  try {
    await runChecked(
      // Baked-in packages come from the mirror; the plain image needs no network.
      ['docker', 'run', '--name', builder, '--network', recipe.packages === undefined ? 'none' : 'bridge', base, '/bin/sh', '-c', recipe.customisation],
      { timeoutMs: (recipe.packages === undefined ? 5 : 15) * 60_000 },
    );
    await runChecked([
      'docker',
      'commit',
      '--change',
      'CMD ["/sbin/init"]',
      '--change',
      `LABEL meshctl.recipe=${recipe.version}`,
      builder,
      tag,
    ]);
  } finally {
    await runCommand(['docker', 'rm', '-f', builder]);
  }
}
