// What etcd's and Consul's stores share: the key of a mesh's record under its prefix, the
// endpoints (credentials in a URL are sent, never shown), and one HTTP request
// tried on each endpoint in order until one answers.
//   stateKey('meshctl/lab') === 'meshctl/lab/state'
//   shownEndpoint('http://ops:s3cret@10.0.0.5:2379') === 'http://***@10.0.0.5:2379'
import { StateStoreError } from '../errors.js';
import type { RemoteStateSettings } from '../inventory/types.js';

/** The one key a mesh's record lives at: more may sit under the prefix later. */
export function stateKey(prefix: string): string {
  return `${prefix}/state`;
}

export interface StoreEndpoint {
  /** Where requests go: the URL without its credentials (fetch refuses URLs that carry them). */
  base: string;
  /** The URL as messages show it: credentials as ***. */
  shown: string;
  /** Credentials from the URL (decoded): etcd trades them for a token, Consul sends them as basic auth. */
  credentials?: { user: string; password: string };
}

export function storeEndpoint(text: string): StoreEndpoint {
  const url = new URL(text);
  const hasCredentials = url.username !== '' || url.password !== '';
  const credentials = { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  url.username = '';
  url.password = '';
  const base = url.href.replace(/\/$/, '');
  return hasCredentials ? { base, shown: base.replace('://', '://***@'), credentials } : { base, shown: base };
}

/** HTTP basic auth from the URL's credentials (a proxy in front of the store may ask for it). */
export async function basicAuth(endpoint: StoreEndpoint): Promise<Record<string, string>> {
  if (endpoint.credentials === undefined) return {};
  const { user, password } = endpoint.credentials;
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

export function shownEndpoint(text: string): string {
  return storeEndpoint(text).shown;
}

/** The password in an endpoint URL, for the run log to take out of what it writes. */
export function endpointSecret(text: string): string | undefined {
  const password = new URL(text).password;
  return password === '' ? undefined : decodeURIComponent(password);
}

const REQUEST_TIMEOUT_MS = 5_000;

export interface StoreRequest {
  method: 'GET' | 'POST' | 'PUT';
  /** From the endpoint's base: `/v3/kv/range`, `/v1/kv/meshctl/lab/state?cas=12`. */
  path: string;
  body?: string;
}

export interface StoreAnswer {
  status: number;
  text: string;
}

/**
 * Sends the request to each endpoint in turn until one answers with anything but a server error
 * (5xx: a node without a leader, say); none does: StateStoreError naming each endpoint and why.
 * `authorize` gives the endpoint's auth headers (a failure there counts as that endpoint's).
 */
export async function requestInOrder(
  settings: RemoteStateSettings,
  request: StoreRequest,
  authorize: (endpoint: StoreEndpoint) => Promise<Record<string, string>> = basicAuth,
): Promise<StoreAnswer> {
  const tried: string[] = [];
  for (const endpoint of settings.endpoints.map(storeEndpoint)) {
    try {
      const response = await fetch(`${endpoint.base}${request.path}`, {
        method: request.method,
        headers: { 'content-type': 'application/json', ...(await authorize(endpoint)) },
        ...(request.body === undefined ? {} : { body: request.body }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        redirect: 'error',
      });
      const text = await response.text();
      if (response.status < 500) return { status: response.status, text };
      tried.push(`${endpoint.shown} (HTTP ${response.status}: ${firstLine(text)})`);
    } catch (error) {
      tried.push(`${endpoint.shown} (${failureOf(error)})`);
    }
  }
  throw new StateStoreError(`the ${settings.store} state store could not be reached: tried ${tried.join(', ')}`);
}

/** An answer the store gave but meshctl cannot use (a 4xx, or JSON of another shape). */
export function unexpectedAnswer(settings: RemoteStateSettings, what: string, answer: StoreAnswer): StateStoreError {
  return new StateStoreError(`the ${settings.store} state store answered ${what} with HTTP ${answer.status}: ${firstLine(answer.text)}`);
}

function failureOf(error: unknown): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000}s`;
  // fetch's TypeError says only "fetch failed"; the cause says why (ECONNREFUSED, ENOTFOUND, …).
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

function firstLine(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line === '' ? '(empty)' : line;
}
