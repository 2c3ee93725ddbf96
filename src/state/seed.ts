// A store that is new to a mesh starts from the state file an earlier `up` left next to the
// inventory, so moving a mesh from the file to etcd or Consul keeps every host's slice (and
// last run). Once the store holds a record the file is no longer read, nor written.
import { describeLocation } from './location.js';
import type { StateStore } from './store.js';
import type { StateRecord } from './record.js';

export function seededFrom(store: StateStore, file: StateStore): StateStore {
  const orFile = async (record: StateRecord | undefined): Promise<StateRecord | undefined> => record ?? (await file.read());
  return {
    location: store.location,
    read: async () => orFile(await store.read()),
    update: async (change) => {
      // Read before the write, which calls `change` synchronously inside its retries.
      const fromFile = await file.read();
      let seeded = false;
      const written = await store.update((record) => {
        seeded = record === undefined && fromFile !== undefined;
        return change(record ?? fromFile);
      });
      if (seeded) process.stderr.write(`meshctl: the state store had no record for this mesh: started it from ${describeLocation(file.location)}, which is no longer used (${describeLocation(store.location)})\n`);
      return written;
    },
  };
}
