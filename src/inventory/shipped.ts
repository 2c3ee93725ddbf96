// `ovs.source` and `docker.source`: where Open vSwitch and Docker come from. `distro` (the
// default) is the hosts' own repositories; `{ packages: DIR }` is a directory of .deb/.rpm files
// on the controller, shipped by the package_files module. The files are read here, when the
// inventory is loaded, so that a missing directory or a damaged file stops the run before any
// host is connected, and each host is sent only what it lacks.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { FieldProblem } from '../errors.js';
import { PackageFileError, readPackageFile, type PackageFile } from '../packages/package-file.js';

export const shippedSourceSchema = z
  .union([
    z.literal('distro'),
    z.strictObject({
      packages: z.string().min(1).describe('a directory of .deb or .rpm files on this machine (relative to the inventory): every file in it is installed'),
    }),
  ])
  .describe("distro (the hosts' repositories) or { packages: DIR } (files shipped from here, for air-gapped hosts or builds of your own)");

export type ShippedSource = z.infer<typeof shippedSourceSchema>;

/** `ovs.source` also takes `build`: `up` builds the packages (src/build/) and ships them as { packages: DIR }. */
export const ovsSourceSchema = z
  .union([z.literal('build'), shippedSourceSchema])
  .describe("distro (the hosts' repositories), build (built from source by `up`, or taken from the build cache, then shipped) or { packages: DIR }");

export type OvsSource = z.infer<typeof ovsSourceSchema>;

/** What each shippable part takes, once read: the files, or the hosts' repositories. */
export interface ShippedPackages {
  ovs?: PackageFile[];
  docker?: PackageFile[];
}

export function resolveShipped(
  sources: { ovs?: OvsSource | undefined; docker?: ShippedSource | undefined },
  baseDir: string,
): { shipped: ShippedPackages; problems: FieldProblem[] } {
  const shipped: ShippedPackages = {};
  const problems: FieldProblem[] = [];
  for (const part of ['ovs', 'docker'] as const) {
    const source = sources[part];
    // A build's packages are read once they exist: by `up`, after loading (src/build/up.ts).
    if (source === undefined || source === 'distro' || source === 'build') continue;
    const read = readPackageDir(path.resolve(baseDir, source.packages));
    if ('problem' in read) problems.push({ path: [part, 'source', 'packages'], message: read.problem });
    else shipped[part] = read.files;
  }
  return { shipped, problems };
}

function readPackageDir(dir: string): { files: PackageFile[] } | { problem: string } {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) return { problem: `${dir} is not a directory` };
    names = readdirSync(dir).filter((name) => name.endsWith('.deb') || name.endsWith('.rpm')).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { problem: code === 'ENOENT' ? `no such directory: ${dir}` : `cannot read ${dir}: ${code ?? String(error)}` };
  }
  if (names.length === 0) return { problem: `${dir} holds no .deb or .rpm file` };
  const files: PackageFile[] = [];
  for (const name of names) {
    try {
      files.push(readPackageFile(path.join(dir, name)));
    } catch (error) {
      if (error instanceof PackageFileError || (error as NodeJS.ErrnoException).code !== undefined) return { problem: `${path.join(dir, name)}: ${(error as Error).message}` };
      throw error;
    }
  }
  // Two versions of one package for one kind of host: which to install would be a guess.
  const seen = new Map<string, PackageFile>();
  for (const file of files) {
    const key = `${file.format} ${file.arch} ${file.name}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      return { problem: `${dir} holds two ${file.name} packages for ${file.arch}: ${path.basename(earlier.path)} (${earlier.version}) and ${path.basename(file.path)} (${file.version}); keep one` };
    }
    seen.set(key, file);
  }
  return { files };
}
