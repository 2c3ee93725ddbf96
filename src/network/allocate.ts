// Which slice of the pool each host gets. An explicit `mesh_index` wins; a host that already has
// a slice (recorded by an earlier `up`) keeps it; a new host takes its position in the inventory
// when that slice is free, else the lowest free one. So adding or removing a host never moves
// another, and an inventory without a record allocates as it always did (by position).

export interface SliceRequest {
  name: string;
  /** An explicit slice index from the inventory. */
  meshIndex?: number | undefined;
}

export interface AllocationInput {
  /** Slices held from an earlier run: host name → index. */
  recorded?: ReadonlyMap<string, number> | undefined;
  /** How many slices the pool holds: recorded or positional indexes past it are not kept. */
  slices?: bigint | undefined;
}

export function allocateSlices(hosts: readonly SliceRequest[], input: AllocationInput = {}): Map<string, number> {
  const fits = (index: number): boolean => input.slices === undefined || BigInt(index) < input.slices;
  const result = new Map<string, number>();
  const taken = new Set<number>();
  const claim = (name: string, index: number): void => {
    result.set(name, index);
    taken.add(index);
  };
  for (const host of hosts) if (host.meshIndex !== undefined) claim(host.name, host.meshIndex);
  for (const host of hosts) {
    const recorded = input.recorded?.get(host.name);
    if (!result.has(host.name) && recorded !== undefined && !taken.has(recorded) && fits(recorded)) claim(host.name, recorded);
  }
  let lowest = 0;
  hosts.forEach((host, position) => {
    if (result.has(host.name)) return;
    if (!taken.has(position) && fits(position)) {
      claim(host.name, position);
      return;
    }
    while (taken.has(lowest)) lowest++;
    claim(host.name, lowest);
  });
  // In inventory order, whatever order the rules claimed them in.
  return new Map(hosts.map((host) => [host.name, result.get(host.name) ?? 0]));
}
