// Where a build of Open vSwitch takes its source from, and how the inventory says so:
// `ovs.build: { source: PATH|URL, format: deb|rpm }`, or `meshctl build ovs --source`. Without a
// source, the build host's distribution's own openvswitch source package is built.
//   source: ./openvswitch-3.1.0.tar.gz   (on this machine, relative to the inventory: uploaded)
//   source: https://www.openvswitch.org/releases/openvswitch-3.1.0.tar.gz   (fetched on the build host)
import path from 'node:path';
import { z } from 'zod';
import type { PackageFormat } from '../packages/package-file.js';

export const BUILD_FORMATS = ['deb', 'rpm'] as const satisfies readonly PackageFormat[];

const URL_SOURCE = /^https?:\/\/[^\s/?#]+\/[^\s]*$/;
const TARBALL = /\.(?:tar\.gz|tgz|tar\.xz|txz|tar\.bz2|tbz2)$/;

export const buildSourceText = z
  .string()
  .min(1)
  .refine((text) => URL_SOURCE.test(text) || (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && TARBALL.test(text)), {
    message: 'must be an http:// or https:// URL, or the path of a .tar.gz, .tar.xz or .tar.bz2 file on this machine',
  });

export const ovsBuildSchema = z
  .strictObject({
    source: buildSourceText
      .optional()
      .describe("an Open vSwitch release tarball: a path on this machine (relative to the inventory) or an http(s) URL fetched on the build host (default: the build host's distribution's openvswitch source package)"),
    format: z.enum(BUILD_FORMATS).default('deb').describe('deb (default) or rpm (built with Debian\'s rpm tools, the kernel module dependency removed)'),
  })
  .describe('how `meshctl build ovs` and `ovs.source: build` build Open vSwitch packages (on the first host of group build, else the first host)');

export type BuildSource =
  | { kind: 'distro' }
  | { kind: 'file'; path: string }
  | { kind: 'url'; url: string };

/** `text` as checked by buildSourceText; a path is made absolute against `baseDir`. */
export function parseBuildSource(text: string | undefined, baseDir: string): BuildSource {
  if (text === undefined) return { kind: 'distro' };
  if (URL_SOURCE.test(text)) return { kind: 'url', url: text };
  return { kind: 'file', path: path.resolve(baseDir, text) };
}

/** The build settings once loaded: `ovs.build`, with `ovs.source: build` saying whether `up` uses it. */
export interface OvsBuild {
  source: BuildSource;
  format: PackageFormat;
  /** `ovs.source: build`: `up` builds (or takes from the cache) and ships the result. */
  forUp: boolean;
}

export function describeSource(source: BuildSource): string {
  switch (source.kind) {
    case 'distro':
      return "the distribution's openvswitch source package";
    case 'file':
      return source.path;
    case 'url':
      return source.url;
  }
}
