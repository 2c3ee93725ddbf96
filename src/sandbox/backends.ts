// The mesh backends a sandbox can be made for; adding one here is all `sandbox up` needs.
import { UsageError } from '../errors.js';

export const sandboxBackends = ['ovs-gre'] as const;
export type SandboxBackend = (typeof sandboxBackends)[number];

export function checkBackend(backend: string): SandboxBackend {
  const known = sandboxBackends.find((b) => b === backend);
  if (known === undefined) {
    throw new UsageError(`unknown backend "${backend}": use one of ${sandboxBackends.join(', ')}`);
  }
  return known;
}
