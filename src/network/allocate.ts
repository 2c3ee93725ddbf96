// Which slice of the pool each host gets. Today a function of the inventory alone: a host's
// `mesh_index` if set, else its position in the list. Recorded allocations will replace this.

export interface SliceRequest {
  name: string;
  /** An explicit slice index from the inventory. */
  meshIndex?: number | undefined;
}

/** Slice index of each host: its `mesh_index` if set, else its position in the inventory. */
export function allocateSlices(hosts: readonly SliceRequest[]): Map<string, number> {
  return new Map(hosts.map((host, position) => [host.name, host.meshIndex ?? position]));
}
