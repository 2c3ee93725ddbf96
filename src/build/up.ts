// `ovs.source: build` in the commands that run playbooks: the inventory as loaded (no build, no
// connection) gets its `shipped.ovs` here, from the build's packages, exactly as
// `{ packages: DIR }` would give them (resolveShipped), kept to what every host needs
// (SHIPPED_OVS_PACKAGES). `up` builds or takes the build from the cache; `plan`, `up --check`
// and `down` only look in the cache, without asking the build host anything.
import { UsageError } from '../errors.js';
import { resolveShipped } from '../inventory/shipped.js';
import type { Inventory } from '../inventory/types.js';
import type { PackageFile } from '../packages/package-file.js';
import { newestCachedBuild, type CachedBuild } from './cache.js';
import { requestIdentity, type BuildOutcome } from './ovs.js';
import { SHIPPED_OVS_PACKAGES } from './scripts.js';
import { describeSource } from './source.js';

export type BuildUse = 'build' | 'cached-or-refuse' | 'cached-if-any';

/** The inventory with `shipped.ovs` from the build, or as it was when it does not build OVS for up. */
export async function withOvsBuild(
  inventory: Inventory,
  use: BuildUse,
  { cacheRoot, build, log }: { cacheRoot: string; build: () => Promise<BuildOutcome>; log: (line: string) => void },
): Promise<Inventory> {
  const settings = inventory.ovsBuild;
  if (settings === undefined || !settings.forUp) return inventory;
  let cached: CachedBuild | undefined;
  if (use === 'build') {
    cached = (await build()).build;
  } else {
    cached = await newestCachedBuild(cacheRoot, await requestIdentity(settings.source), settings.format);
    if (cached === undefined) {
      if (use === 'cached-if-any') return inventory;
      throw new UsageError(
        `ovs.source is build, and the build cache (${cacheRoot}) holds no ${settings.format} build of ${describeSource(settings.source)} yet: ` +
          '`meshctl build ovs` (or `up`) builds it; plan and --check do not build',
      );
    }
    log(`ovs.source: build: planned with the cached build ${cached.key} (built ${cached.record.builtAt}); up checks the source again`);
  }
  return { ...inventory, shipped: { ...inventory.shipped, ovs: shippedFromBuild(cached, settings.format) } };
}

export function shippedFromBuild(build: CachedBuild, format: PackageFile['format']): PackageFile[] {
  const { shipped, problems } = resolveShipped({ ovs: { packages: build.packagesDir } }, '/');
  if (problems.length > 0 || shipped.ovs === undefined) {
    throw new UsageError(`the cached build ${build.dir} cannot be shipped: ${problems.map((p) => p.message).join('; ')} (meshctl build prune empties the cache)`);
  }
  const wanted = SHIPPED_OVS_PACKAGES[format];
  const files = shipped.ovs.filter((file) => file.format === format && wanted.includes(file.name));
  const missing = wanted.filter((name) => !files.some((file) => file.name === name));
  if (missing.length > 0) throw new UsageError(`the cached build ${build.dir} has no ${missing.join(', ')} package (meshctl build prune empties the cache)`);
  return files;
}
