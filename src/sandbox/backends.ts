// The backend `sandbox up` writes an inventory for: any backend of the registry.
import { backendNames, findBackend, type Backend } from '../backends/index.js';
import { UsageError } from '../errors.js';

export function checkBackend(name: string): Backend {
  const backend = findBackend(name);
  if (backend === undefined) throw new UsageError(`unknown backend "${name}": use one of ${backendNames.join(', ')}`);
  return backend;
}
