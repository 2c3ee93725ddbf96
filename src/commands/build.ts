// `meshctl build ovs`: Open vSwitch packages built from source on the inventory's build host (or
// taken from the controller's cache) and copied to --out; `meshctl build prune` empties the cache.
//   meshctl build ovs -i inventory.yaml --format deb --out ./packages/ovs [--source PATH|URL]
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { buildCacheRoot, pruneCache } from '../build/cache.js';
import { buildOnBuildHost } from '../build/session.js';
import { buildSourceText, parseBuildSource, BUILD_FORMATS, type BuildSource } from '../build/source.js';
import { tarballProblem } from '../inventory/load.js';
import type { PackageFormat } from '../packages/package-file.js';
import type { Output } from '../output.js';
import { loadContext } from './context.js';

export interface BuildOvsOptions {
  inventory: string;
  /** Default: the inventory's ovs.build.format, else deb. */
  format?: string;
  out?: string;
  /** Overrides ovs.build.source; relative to the current directory. */
  source?: string;
  /** --prune: empty the cache first. */
  prune: boolean;
  lockTimeout: number;
}

/** The flags checked before anything is loaded or connected. */
export function buildArguments(options: Pick<BuildOvsOptions, 'format' | 'out' | 'source'>, cwd: string): { format?: PackageFormat; out: string; source?: BuildSource } {
  if (options.out === undefined || options.out.trim() === '') throw new UsageError('build ovs: --out DIR is needed: where the packages are copied');
  if (options.format !== undefined && !(BUILD_FORMATS as readonly string[]).includes(options.format)) {
    throw new UsageError(`build ovs: --format must be ${BUILD_FORMATS.join(' or ')}, not ${options.format}`);
  }
  const result: { format?: PackageFormat; out: string; source?: BuildSource } = { out: path.resolve(cwd, options.out) };
  if (options.format !== undefined) result.format = options.format as PackageFormat;
  if (options.source !== undefined) {
    const checked = buildSourceText.safeParse(options.source);
    if (!checked.success) throw new UsageError(`build ovs: --source ${options.source}: ${checked.error.issues[0]?.message ?? 'not a source'}`);
    const source = parseBuildSource(options.source, cwd);
    const problem = source.kind === 'file' ? tarballProblem(source.path) : undefined;
    if (problem !== undefined) throw new UsageError(`build ovs: --source: ${problem}`);
    result.source = source;
  }
  return result;
}

export async function buildOvsCommand(options: BuildOvsOptions, output: Output, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<number> {
  const args = buildArguments(options, cwd);
  const cacheRoot = buildCacheRoot(env);
  if (options.prune) await pruneCommand(output, env);
  const context = await loadContext(options.inventory);
  for (const warning of context.warnings) output.err(warning);
  const settings = context.inventory.ovsBuild;
  const request = { source: args.source ?? settings?.source ?? { kind: 'distro' as const }, format: args.format ?? settings?.format ?? 'deb' };
  const log = (line: string): void => output.err(line);
  const outcome = await buildOnBuildHost(context.inventory, request, { connect: context.connect, cacheRoot, lockTimeout: options.lockTimeout, log });
  await mkdir(args.out, { recursive: true });
  for (const file of outcome.build.record.files) await copyFile(path.join(outcome.build.packagesDir, file), path.join(args.out, file));
  output.out(`${outcome.cacheHit ? 'cache hit' : 'built'}: ${outcome.build.record.files.length} ${request.format} package(s) in ${args.out} (${outcome.seconds}s; cache ${outcome.build.dir})`);
  for (const file of outcome.build.record.files) output.out(`  ${file}`);
  return 0;
}

export async function pruneCommand(output: Output, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const root = buildCacheRoot(env);
  const pruned = await pruneCache(root);
  output.out(`pruned ${root}: ${pruned.builds} build(s), ${(pruned.bytes / 1024 / 1024).toFixed(1)} MiB`);
  return 0;
}
