// Where a mesh's state record lives: the file next to the inventory (the default), or one key
// in etcd or Consul when the inventory's `state:` names a store. Commands see only this
// interface, so they never ask which it is.
//   const store = openStateStore(inventory); const record = await store.read();
import type { Inventory } from '../inventory/types.js';
import { consulStore } from './consul.js';
import { etcdStore } from './etcd.js';
import { fileStore, stateFile } from './file-store.js';
import type { StateLocation } from './location.js';
import type { StateRecord } from './record.js';
import { seededFrom } from './seed.js';

export interface StateStore {
  /** For people and `status --json`: which store, and where in it. Never carries credentials. */
  readonly location: StateLocation;
  /** The record, or undefined before the first `up` or `down` wrote one. */
  read(): Promise<StateRecord | undefined>;
  /**
   * Reads the latest record, changes it and writes it so that no other run's write in between is
   * lost; `change` may be called again on a newer record (it must be a function of the record
   * alone). Returns the record written.
   */
  update(change: (record: StateRecord | undefined) => StateRecord): Promise<StateRecord>;
}


/** The inventory's store; a new etcd or Consul record starts from the state file an earlier `up` left. */
export function openStateStore(inventory: Pick<Inventory, 'file' | 'state'>): StateStore {
  const { state } = inventory;
  const file = fileStore(stateFile(inventory.file));
  if (state.store === 'file') return file;
  const remote = state.store === 'etcd' ? etcdStore(state) : consulStore(state);
  return seededFrom(remote, file);
}
