// The state record as one key in Consul's KV store: read with GET /v1/kv/KEY (404: no key yet),
// written with PUT /v1/kv/KEY?cas=INDEX, which Consul applies only if the key's ModifyIndex is
// still INDEX (0: only if the key does not exist) and answers `true` or `false`.
//   consulKeyPath('meshctl/lab/state') === '/v1/kv/meshctl/lab/state'
import type { RemoteStateSettings } from '../inventory/types.js';
import { requestInOrder, stateKey, storeEndpoint, unexpectedAnswer } from './remote.js';
import type { StateStore } from './store.js';
import { versionedStore, type CasOptions, type Versioned } from './versioned.js';

export function consulKeyPath(key: string): string {
  return `/v1/kv/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** GET's answer: a list of one entry, its Value base64 (null for an empty value). */
export function consulVersioned(status: number, text: string): Versioned | undefined {
  if (status === 404) return { text: undefined, version: '0' };
  if (status !== 200) return undefined;
  let entries: unknown;
  try {
    entries = JSON.parse(text);
  } catch {
    return undefined;
  }
  const entry = Array.isArray(entries) ? (entries[0] as { Value?: unknown; ModifyIndex?: unknown } | undefined) : undefined;
  if (entry === undefined || typeof entry.ModifyIndex !== 'number') return undefined;
  return { text: typeof entry.Value === 'string' ? Buffer.from(entry.Value, 'base64').toString('utf8') : '', version: String(entry.ModifyIndex) };
}

export function consulStore(settings: RemoteStateSettings, options?: CasOptions): StateStore {
  const key = stateKey(settings.prefix);
  const path = consulKeyPath(key);
  return versionedStore(
    {
      location: { store: 'consul', endpoints: settings.endpoints.map((endpoint) => storeEndpoint(endpoint).shown), key },
      get: async () => {
        const answer = await requestInOrder(settings, { method: 'GET', path });
        const versioned = consulVersioned(answer.status, answer.text);
        if (versioned === undefined) throw unexpectedAnswer(settings, `reading ${key}`, answer);
        return versioned;
      },
      putIfVersion: async (text, version) => {
        const answer = await requestInOrder(settings, { method: 'PUT', path: `${path}?cas=${version}`, body: text });
        const written = answer.status === 200 ? answer.text.trim() : '';
        if (written !== 'true' && written !== 'false') throw unexpectedAnswer(settings, `writing ${key}`, answer);
        return written === 'true';
      },
    },
    options,
  );
}
