import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTlsFetch } from './tls-fetch.node.js';
import { OPENSSL_MISSING, hasOpenssl, makeTestPki, startTestServer } from './test-servers.node.js';
import type { TestPki, TestReply, TestServer } from './test-servers.node.js';

const available = hasOpenssl();
if (!available) {
  if (process.env.KEYGATE_TEST_REQUIRE_ALL === '1') throw new Error(OPENSSL_MISSING);
  console.warn(`tls-fetch: ${OPENSSL_MISSING}`);
}

describe.runIf(available)('createTlsFetch', () => {
  let pki: TestPki;
  let server: TestServer;

  beforeAll(async () => {
    pki = makeTestPki();
    server = await startTestServer((req): TestReply => {
      if (req.path === '/big') return { body: 'x'.repeat(2048) };
      if (req.path === '/slow') return { hang: true };
      if (req.path === '/redirect') return { status: 302, headers: { location: 'https://127.0.0.1:1/elsewhere' } };
      if (req.path === '/empty') return { status: 204 };
      return { status: 201, headers: { 'x-echo': req.headers['x-test'] ?? '' }, body: { method: req.method, path: req.path, body: req.body } };
    }, pki.server);
  });

  afterAll(async () => {
    await server?.close();
  });

  it('fetches from a server whose certificate the CA signed, sending method, headers and body', async () => {
    const tlsFetch = createTlsFetch({ caPem: pki.caPem });
    const res = await tlsFetch(`${server.url}/echo?q=1`, { method: 'POST', headers: { 'x-test': 'yes' }, body: '{"a":1}' });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-echo')).toBe('yes');
    expect(await res.json()).toEqual({ method: 'POST', path: '/echo?q=1', body: '{"a":1}' });
  });

  it('refuses a server the CA did not sign', async () => {
    const tlsFetch = createTlsFetch({ caPem: pki.otherCaPem });
    await expect(tlsFetch(`${server.url}/echo`)).rejects.toBeInstanceOf(TypeError);
  });

  it('refuses a certificate that does not name the host', async () => {
    const tlsFetch = createTlsFetch({ caPem: pki.caPem });
    const port = new URL(server.url).port;
    // The certificate names 127.0.0.1 and localhost, not 127.0.0.2 (still loopback).
    await expect(tlsFetch(`https://127.0.0.2:${port}/echo`)).rejects.toBeInstanceOf(TypeError);
  });

  it('never follows a redirect', async () => {
    const res = await createTlsFetch({ caPem: pki.caPem })(`${server.url}/redirect`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(server.requests.filter((r) => r.path === '/elsewhere')).toHaveLength(0);
  });

  it('answers a 204 with no body', async () => {
    const res = await createTlsFetch({ caPem: pki.caPem })(`${server.url}/empty`);
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
  });

  it('honours an abort signal on a request that hangs', async () => {
    const started = Date.now();
    const tlsFetch = createTlsFetch({ caPem: pki.caPem });
    const err: unknown = await tlsFetch(`${server.url}/slow`, { signal: AbortSignal.timeout(200) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DOMException);
    expect(err instanceof DOMException ? err.name : '').toBe('TimeoutError');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('caps the response body', async () => {
    const tlsFetch = createTlsFetch({ caPem: pki.caPem, maxResponseBytes: 1024 });
    await expect(tlsFetch(`${server.url}/big`)).rejects.toThrow(/size limit/);
  });

  it('refuses plain http and a bundle without certificates', () => {
    expect(() => createTlsFetch({ caPem: 'not a pem' })).toThrow(TypeError);
    expect(() => createTlsFetch({ caPem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' })).toThrow(TypeError);
    const tlsFetch = createTlsFetch({ caPem: pki.caPem });
    return expect(tlsFetch('http://127.0.0.1:1/')).rejects.toBeInstanceOf(TypeError);
  });
});
