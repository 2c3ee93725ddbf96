// The sandbox's record on disk (`sandbox.json` in its state directory): read, checked, written.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { SandboxError, UsageError } from '../errors.js';
import { defaultSuite, suites } from './recipe.js';

const networkSchema = z.object({ name: z.string(), subnet: z.string() });

const hostSchema = z.object({
  name: z.string(),
  container: z.string(),
  address: z.string(),
  underlayAddress: z.string(),
});

const stateSchema = z.object({
  version: z.literal(1),
  name: z.string(),
  inventoryPath: z.string(),
  backend: z.string(),
  // Records written before suites existed are of bookworm hosts.
  suite: z.enum(suites).default(defaultSuite),
  image: z.string(),
  // Records written before --image-packages have the plain image.
  imagePackages: z.array(z.string()).default([]),
  networks: z.object({ management: networkSchema, underlay: networkSchema }),
  hosts: z.array(hostSchema),
  sshKey: z.string(),
  knownHosts: z.string(),
  createdAt: z.string(),
});

export type SandboxNetwork = z.infer<typeof networkSchema>;
export type SandboxHost = z.infer<typeof hostSchema>;
export type SandboxState = z.output<typeof stateSchema>;

/** The recorded state, or undefined when there is none. */
export async function readState(path: string): Promise<SandboxState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = stateSchema.safeParse(json);
  if (!parsed.success) {
    throw new SandboxError(`${path} is not a sandbox record meshctl understands: run \`meshctl sandbox down\` for this inventory, then \`sandbox up\``);
  }
  return parsed.data;
}

/** The recorded state of the sandbox for `inventory` (as the user wrote it), refused when there is none. */
export async function existingState(path: string, inventory: string): Promise<SandboxState> {
  const state = await readState(path);
  if (state === undefined) throw new UsageError(`no sandbox for ${inventory}: run \`meshctl sandbox up -i ${inventory}\` first`);
  return state;
}

/** The host named `query` (its inventory name or its container), refused naming the known ones. */
export function recordedHost(state: SandboxState, query: string): SandboxHost {
  const host = state.hosts.find((h) => h.name === query || h.container === query);
  if (host === undefined) throw new UsageError(`no host "${query}" in sandbox ${state.name}: use one of ${state.hosts.map((h) => h.name).join(', ')}`);
  return host;
}

export async function writeState(path: string, state: SandboxState): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`);
  await rename(temporary, path);
}
