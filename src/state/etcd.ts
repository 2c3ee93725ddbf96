// The state record as one key in etcd, over etcd v3's JSON gateway (keys and values base64):
// read with /v3/kv/range, written with a /v3/kv/txn that puts only if the key's mod_revision is
// still the one read (0: the key does not exist yet). With user:password@ in an endpoint, etcd's
// own auth: the credentials are traded for a token (/v3/auth/authenticate) once per endpoint.
//   etcdTxnBody('meshctl/lab/state', text, '42') → { compare: [{ target: 'MOD', mod_revision: '42', … }], success: [{ request_put }] }
import type { RemoteStateSettings } from '../inventory/types.js';
import { StateStoreError } from '../errors.js';
import { requestInOrder, stateKey, storeEndpoint, unexpectedAnswer, type StoreAnswer, type StoreEndpoint } from './remote.js';
import type { StateStore } from './store.js';
import { versionedStore, type CasOptions, type Versioned } from './versioned.js';

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const fromBase64 = (text: string): string => Buffer.from(text, 'base64').toString('utf8');

export function etcdRangeBody(key: string): { key: string } {
  return { key: base64(key) };
}

/** The range answer's key (text and mod_revision); int64s come as strings, and absent fields mean 0 or empty. */
export function etcdVersioned(answer: unknown): Versioned | undefined {
  // Every answer etcd gives to a request it served has a header; an error has none.
  if (typeof answer !== 'object' || answer === null || !('header' in answer)) return undefined;
  const kvs = (answer as { kvs?: unknown }).kvs;
  if (kvs === undefined) return { text: undefined, version: '0' };
  if (!Array.isArray(kvs)) return undefined;
  const kv = kvs[0] as { value?: unknown; mod_revision?: unknown } | undefined;
  if (kv === undefined) return { text: undefined, version: '0' };
  if (typeof kv.mod_revision !== 'string' || !/^\d+$/.test(kv.mod_revision)) return undefined;
  return { text: typeof kv.value === 'string' ? fromBase64(kv.value) : '', version: kv.mod_revision };
}

export function etcdTxnBody(key: string, text: string, version: string): unknown {
  return {
    compare: [{ key: base64(key), target: 'MOD', result: 'EQUAL', mod_revision: version }],
    success: [{ request_put: { key: base64(key), value: base64(text) } }],
  };
}

/** proto3's JSON leaves out a false `succeeded`: a header without it is a failed compare. */
export function etcdTxnSucceeded(answer: unknown): boolean | undefined {
  if (typeof answer !== 'object' || answer === null || !('header' in answer)) return undefined;
  return (answer as { succeeded?: unknown }).succeeded === true;
}

export function etcdStore(settings: RemoteStateSettings, options?: CasOptions): StateStore {
  const key = stateKey(settings.prefix);
  const tokens = new Map<string, Promise<Record<string, string>>>();
  const authorize = (endpoint: StoreEndpoint): Promise<Record<string, string>> => {
    if (endpoint.credentials === undefined) return Promise.resolve({});
    const token = tokens.get(endpoint.base) ?? etcdToken(endpoint, endpoint.credentials);
    tokens.set(endpoint.base, token);
    // A failed try is not kept: the next request tries this endpoint afresh.
    token.catch(() => tokens.delete(endpoint.base));
    return token;
  };
  const post = async (path: string, body: unknown, what: string, read: (json: unknown) => unknown): Promise<unknown> => {
    const answer = await requestInOrder(settings, { method: 'POST', path, body: JSON.stringify(body) }, authorize);
    const value = answer.status === 200 ? read(parseJson(answer)) : undefined;
    if (value === undefined) throw unexpectedAnswer(settings, what, answer);
    return value;
  };
  return versionedStore(
    {
      location: { store: 'etcd', endpoints: settings.endpoints.map((endpoint) => storeEndpoint(endpoint).shown), key },
      get: async () => (await post('/v3/kv/range', etcdRangeBody(key), `reading ${key}`, etcdVersioned)) as Versioned,
      putIfVersion: async (text, version) => (await post('/v3/kv/txn', etcdTxnBody(key, text, version), `writing ${key}`, etcdTxnSucceeded)) as boolean,
    },
    options,
  );
}

/** etcd's token for the user (its auth is on); the header every later request carries. */
async function etcdToken(endpoint: StoreEndpoint, credentials: { user: string; password: string }): Promise<Record<string, string>> {
  const response = await fetch(`${endpoint.base}/v3/auth/authenticate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: credentials.user, password: credentials.password }),
    signal: AbortSignal.timeout(5_000),
    redirect: 'error',
  });
  const answer = { status: response.status, text: await response.text() };
  const token = answer.status === 200 ? (parseJson(answer) as { token?: unknown } | undefined)?.token : undefined;
  if (typeof token !== 'string') throw new StateStoreError(`etcd did not let user ${credentials.user} in: HTTP ${answer.status}: ${answer.text.trim().split('\n')[0] ?? ''}`);
  return { authorization: token };
}

function parseJson(answer: StoreAnswer): unknown {
  try {
    return JSON.parse(answer.text);
  } catch {
    return undefined;
  }
}
