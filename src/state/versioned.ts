// Compare-and-swap over one key of a store that versions its keys (etcd's mod_revision, Consul's
// ModifyIndex): read the record and its version, change it, write it only if the key is still
// at that version; if another run wrote in between, read again, change again, up to a bound.
// So two runs that end together never lose each other's slices or last runs.
import { StateStoreError } from '../errors.js';
import { decodeRecord, encodeRecord } from './record.js';
import { describeLocation, type StateLocation } from './location.js';
import type { StateStore } from './store.js';

/** The key's text and version; an absent key has no text and version "0" (both stores' "create only"). */
export interface Versioned {
  text: string | undefined;
  version: string;
}

export interface VersionedKey {
  location: StateLocation;
  get(): Promise<Versioned>;
  /** Writes the text if the key is still at `version`; false when another writer came first. */
  putIfVersion(text: string, version: string): Promise<boolean>;
}

export interface CasOptions {
  /** Writes tried before giving up (each after a fresh read). */
  attempts?: number;
  /** Waits before attempt `n` (2, 3, …), so two runs that collided do not collide again in step. */
  pause?: (attempt: number) => Promise<void>;
}

export const CAS_ATTEMPTS = 8;

/** After a write: done, or read and try again, or give up once the attempts are used. */
export function afterWrite(written: boolean, attempt: number, attempts: number): 'done' | 'retry' | 'give-up' {
  if (written) return 'done';
  return attempt < attempts ? 'retry' : 'give-up';
}

export function versionedStore(key: VersionedKey, options: CasOptions = {}): StateStore {
  const { attempts = CAS_ATTEMPTS, pause = jitteredPause } = options;
  const where = describeLocation(key.location);
  const read = async (): Promise<{ record: ReturnType<typeof decodeRecord> | undefined; version: string }> => {
    const { text, version } = await key.get();
    return { record: text === undefined ? undefined : decodeRecord(text, where), version };
  };
  return {
    location: key.location,
    read: async () => (await read()).record,
    update: async (change) => {
      for (let attempt = 1; ; attempt++) {
        if (attempt > 1) await pause(attempt);
        const { record, version } = await read();
        const next = change(record);
        const step = afterWrite(await key.putIfVersion(encodeRecord(next), version), attempt, attempts);
        if (step === 'done') return next;
        if (step === 'give-up') {
          throw new StateStoreError(`${where}: the record changed under each of ${attempts} attempts to write it (other runs writing at the same time): try again`);
        }
      }
    },
  };
}

/** 50–150 ms, growing with the attempt. */
async function jitteredPause(attempt: number): Promise<void> {
  const ms = (50 + Math.random() * 100) * (attempt - 1);
  await new Promise((resolve) => setTimeout(resolve, ms));
}
