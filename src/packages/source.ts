// A package source (an apt repository with its signing key and pin, or a yum/dnf repository), in
// the two spellings that share it: the inventory's `package_sources:` (the key as a file next to
// the inventory) and the package_sources module's params (the key's text, read by the loader,
// since a module runs on the host and cannot read the controller's files).
import { z } from 'zod';

// The name ends up in file names: apt ignores preferences.d files with a `.` in them (it reads
// the part after the dot as an extension), so none is allowed.
export const sourceName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, 'must be a name of letters, digits, _ and - (it names the files written)')
  .describe('unique name of the source: the files written are meshctl-NAME.*');

const repositoryUrl = z
  .string()
  .regex(/^(?:https?:\/\/[^\s/]+[^\s]*|file:\/[^\s]*)$/, 'must be an http://, https:// or file:/ URL');

// One word of a sources.list line: nothing that ends the word or starts an option.
const listWord = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/+~-]*$/, 'must be one word (letters, digits, . _ / + ~ -)');

const packageName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.+-]*$/, 'must be a package name (letters, digits, . + -)');

// apt's priorities are signed 16-bit numbers; 1000 and more allow downgrades.
const pinPriority = z.number().int().min(-32768).max(32767);

export const aptPinSchema = z.strictObject({
  priority: pinPriority.default(100).describe('priority of every package of the source (default 100: nothing comes from it unless asked for)'),
  packages: z.array(packageName).default([]).describe('packages preferred from this source'),
  packages_priority: pinPriority.default(990).describe('their priority (default 990: preferred over other sources, never a downgrade)'),
  release: z
    .string()
    .regex(/^[a-z]=[^\s,]+(?:,[a-z]=[^\s,]+)*$/, "must be apt's release match, e.g. n=bullseye or a=stable,o=Debian")
    .optional()
    .describe('which release the pin matches (default n=SUITE: the Codename in its Release file)'),
});

const aptFields = {
  uri: repositoryUrl.describe('the repository, as in a sources.list line'),
  suite: listWord.describe('the suite (codename) to use, e.g. bullseye'),
  components: z.array(listWord).min(1).default(['main']).describe('components (default [main])'),
  key_url: repositoryUrl.optional().describe('signing key to download on the host (armored or binary)'),
  pin: aptPinSchema.optional().describe('an apt pin for the source (without one, its packages compete as any source)'),
};

const yumFields = {
  baseurl: repositoryUrl.describe("the repository's baseurl"),
  gpgkey: z.string().regex(/^(?:https?|file):\/\/?[^\s]+$/, 'must be an http(s):// or file:// URL').optional().describe('URL of the signing key'),
  gpgcheck: z.boolean().default(true).describe('check package signatures (default true)'),
  enabled: z.boolean().default(true).describe('enabled (default true)'),
};

export const yumSourceSchema = z.strictObject(yumFields);

/** The inventory's spelling: the key is a file, relative to the inventory. */
export const inventorySourceSchema = z.strictObject({
  name: sourceName,
  apt: z
    .strictObject({
      ...aptFields,
      key: z.string().min(1).optional().describe('signing key file (armored or binary), relative to the inventory'),
    })
    .optional()
    .describe('the source on Debian-family hosts'),
  yum: yumSourceSchema.optional().describe('the source on RHEL-family hosts'),
});

/** The module's spelling: the key's armored text instead of its file. */
export const moduleSourceSchema = z
  .strictObject({
    name: sourceName,
    apt: z
      .strictObject({
        ...aptFields,
        key_text: z.string().regex(/-----BEGIN PGP PUBLIC KEY BLOCK-----/, 'must be an armored OpenPGP public key').optional(),
      })
      .refine((apt) => apt.key_text === undefined || apt.key_url === undefined, 'give key_text or key_url, not both')
      .optional(),
    yum: yumSourceSchema.optional(),
  })
  .refine((source) => source.apt !== undefined || source.yum !== undefined, 'a source needs apt:, yum: or both');

export type InventorySource = z.output<typeof inventorySourceSchema>;
export type PackageSource = z.output<typeof moduleSourceSchema>;
export type AptSource = NonNullable<PackageSource['apt']>;
export type YumSource = NonNullable<PackageSource['yum']>;
