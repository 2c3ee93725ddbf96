// Endpoints and the request tried on each in order, against HTTP servers in this process: one
// that is not there, one without a leader (503), one that answers.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateStoreError } from '../../../src/errors.js';
import { basicAuth, endpointSecret, requestInOrder, shownEndpoint, stateKey, storeEndpoint } from '../../../src/state/remote.js';
import { etcdStore } from '../../../src/state/etcd.js';

describe('endpoints', () => {
  it('keep credentials out of the URL requests go to and of what is shown, and send them as basic auth', async () => {
    const endpoint = storeEndpoint('http://ops:s%40cret@10.0.0.5:2379');
    expect(endpoint.base).toBe('http://10.0.0.5:2379');
    expect(endpoint.shown).toBe('http://***@10.0.0.5:2379');
    expect(endpoint.credentials).toEqual({ user: 'ops', password: 's@cret' });
    const { authorization } = await basicAuth(endpoint);
    expect(Buffer.from((authorization ?? '').replace(/^Basic /, ''), 'base64').toString()).toBe('ops:s@cret');
    expect(await basicAuth(storeEndpoint('http://10.0.0.5:2379'))).toEqual({});
    expect(endpointSecret('http://ops:s%40cret@10.0.0.5:2379')).toBe('s@cret');
    expect(storeEndpoint('https://etcd.example:2379/proxy/')).toEqual({ base: 'https://etcd.example:2379/proxy', shown: 'https://etcd.example:2379/proxy' });
    expect(shownEndpoint('http://10.0.0.5:8500')).toBe('http://10.0.0.5:8500');
    expect(endpointSecret('http://10.0.0.5:8500')).toBeUndefined();
  });

  it("put the mesh's record at PREFIX/state", () => {
    expect(stateKey('meshctl/lab')).toBe('meshctl/lab/state');
  });

  it('never put credentials in the location a store reports', () => {
    const store = etcdStore({ store: 'etcd', endpoints: ['http://ops:s3cret@10.0.0.5:2379', 'http://10.0.0.6:2379'], prefix: 'meshctl/lab' });
    expect(store.location).toEqual({ store: 'etcd', endpoints: ['http://***@10.0.0.5:2379', 'http://10.0.0.6:2379'], key: 'meshctl/lab/state' });
    expect(JSON.stringify(store.location)).not.toContain('s3cret');
  });
});

describe('requestInOrder', () => {
  const seen: { server: string; authorization: string | undefined; body: string }[] = [];
  const servers: Server[] = [];
  const urls: Record<string, string> = {};
  const body = async (request: IncomingMessage): Promise<string> => {
    let text = '';
    for await (const chunk of request) text += String(chunk);
    return text;
  };
  const listen = async (name: string, status: number, answer: string): Promise<void> => {
    const server = createServer(async (request, response) => {
      seen.push({ server: name, authorization: request.headers.authorization, body: await body(request) });
      response.writeHead(status).end(answer);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    urls[name] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  let closedPort = '';

  beforeAll(async () => {
    await listen('leaderless', 503, 'etcdserver: no leader\n');
    await listen('answering', 200, '{"ok":true}');
    // A port that was just free: nothing listens there.
    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    closedPort = String((gone.address() as AddressInfo).port);
    await new Promise((resolve) => gone.close(resolve));
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it('goes past an endpoint that is not there and one that has no leader, to the one that answers', async () => {
    seen.length = 0;
    const endpoints = [`http://127.0.0.1:${closedPort}`, urls.leaderless ?? '', (urls.answering ?? '').replace('://', '://ops:pw@')];
    const answer = await requestInOrder({ store: 'etcd', endpoints, prefix: 'p' }, { method: 'POST', path: '/v3/kv/range', body: '{"key":"a2V5"}' });
    expect(answer).toEqual({ status: 200, text: '{"ok":true}' });
    expect(seen.map((request) => request.server)).toEqual(['leaderless', 'answering']);
    expect(seen[1]).toEqual({ server: 'answering', authorization: `Basic ${Buffer.from('ops:pw').toString('base64')}`, body: '{"key":"a2V5"}' });
  });

  it('names every endpoint it tried, and why each failed, when none answers', async () => {
    const endpoints = [`http://ops:pw@127.0.0.1:${closedPort}`, urls.leaderless ?? ''];
    const error = await requestInOrder({ store: 'consul', endpoints, prefix: 'p' }, { method: 'GET', path: '/v1/kv/p/state' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateStoreError);
    expect((error as StateStoreError).exitCode).toBe(5);
    expect((error as Error).message).toBe(`the consul state store could not be reached: tried http://***@127.0.0.1:${closedPort} (ECONNREFUSED), ${urls.leaderless} (HTTP 503: etcdserver: no leader)`);
  });
});
