/**
 * Bad input never yields a 5xx or a crash: each case answers its 4xx with a stable code.
 * Requests go through the app with the raw request target, as the Node entry passes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway } from './helpers/in-process.js';
import type { TestGateway } from './helpers/in-process.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await createTestGateway({ config: { limits: { max_body_bytes: 4096 } } });
  await gw.call('PUT', '/api/v1/secrets/target', { body: { a: 1 } });
});
afterAll(async () => {
  await gw.close();
});

const expectCode = async (res: Promise<{ status: number; body: { error?: { code: string } } }>, status: number, code: string) => {
  const r = await res;
  expect(r.status).toBe(status);
  expect(r.body.error?.code).toBe(code);
};

describe('paths', () => {
  it.each([
    ['/api/v1/secrets/../sys/seal', 'dot-dot'],
    ['/api/v1/secrets/a/../target', 'dot-dot in the middle'],
    ['/api/v1/secrets/a/%2e%2e/target', 'encoded dot-dot'],
    ['/api/v1/secrets/a/%2E%2E/target', 'upper-case encoded dot-dot'],
    ['/api/v1/secrets/./target', 'dot'],
    ['/api/v1/secrets/a%2ftarget', 'encoded slash'],
    ['/api/v1/secrets/a%00b', 'NUL'],
    ['/api/v1/secrets/a%0d%0aSet-Cookie:x', 'CRLF'],
    ['/api/v1/secrets/a//b', 'empty segment'],
    ['/api/v1/secrets/a%zz', 'malformed escape'],
  ])('refuses %s (%s) with 400 ERR_PATH_INVALID', async (path) => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      await expectCode(gw.call(method, path, method === 'PUT' ? { body: { x: 1 } } : {}), 400, 'ERR_PATH_INVALID');
    }
  });

  it('refuses an overlong path with 400 ERR_PATH_TOO_LONG', async () => {
    await expectCode(gw.call('GET', `/api/v1/secrets/${'a'.repeat(513)}`), 400, 'ERR_PATH_TOO_LONG');
    await expectCode(gw.call('GET', `/api/v1/secrets/${'a/'.repeat(5000)}b`), 400, 'ERR_PATH_TOO_LONG');
    expect((await gw.call('GET', `/api/v1/secrets/${'a'.repeat(512)}`)).status).toBe(404);
  });

  it('refuses a percent-encoded API prefix rather than guessing', async () => {
    const r = await gw.call('GET', '/api/v1/%73ecrets/target');
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
  });

  it('never reaches sys through the secrets face', async () => {
    await expectCode(gw.call('POST', '/api/v1/secrets/..%2fsys/seal'), 400, 'ERR_PATH_INVALID');
    expect(gw.core.barrier.sealed).toBe(false);
  });
});

describe('bodies', () => {
  it('refuses a body over the limit with 413, by Content-Length and by streaming', async () => {
    const big = JSON.stringify({ v: 'x'.repeat(5000) });
    await expectCode(gw.call('PUT', '/api/v1/secrets/big', { rawBody: big, headers: { 'content-type': 'application/json' } }), 413, 'ERR_BODY_TOO_LARGE');
    // No Content-Length: a stream that keeps going.
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 1024;
        if (sent > 1024 * 1024) controller.close();
        else controller.enqueue(new Uint8Array(1024).fill(0x61));
      },
    });
    const res = await gw.app.fetch(
      new Request('http://127.0.0.1/api/v1/secrets/big', { method: 'PUT', body: stream, headers: { authorization: `Bearer ${gw.rootToken}`, 'content-type': 'application/json' }, duplex: 'half' } as RequestInit),
      { rawUrl: '/api/v1/secrets/big' },
    );
    expect(res.status).toBe(413);
    expect(sent).toBeLessThan(64 * 1024);
  });

  it('refuses JSON nested deeper than 32 with 400 ERR_JSON_TOO_DEEP', async () => {
    const deep = `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`;
    await expectCode(gw.call('PUT', '/api/v1/secrets/deep', { rawBody: deep, headers: { 'content-type': 'application/json' } }), 400, 'ERR_JSON_TOO_DEEP');
    const arrays = `${'['.repeat(2000)}${']'.repeat(2000)}`;
    await expectCode(gw.call('PUT', '/api/v1/secrets/deep', { rawBody: `{"a":${arrays}}`, headers: { 'content-type': 'application/json' } }), 400, 'ERR_JSON_TOO_DEEP');
  });

  it.each([
    ['{"a":', 'truncated'],
    ['not json', 'text'],
    ['[1,2]', 'an array'],
    ['"str"', 'a string'],
    ['null', 'null'],
    ['{"a":1}{"b":2}', 'two documents'],
  ])('refuses a non-object or malformed body (%s: %s) with 400 ERR_INVALID_JSON', async (raw) => {
    await expectCode(gw.call('PUT', '/api/v1/secrets/j', { rawBody: raw, headers: { 'content-type': 'application/json' } }), 400, 'ERR_INVALID_JSON');
  });

  it('refuses invalid UTF-8 with 400', async () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]);
    await expectCode(gw.call('PUT', '/api/v1/secrets/u', { rawBody: bytes, headers: { 'content-type': 'application/json' } }), 400, 'ERR_INVALID_JSON');
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1'])(
    'refuses Content-Type %s with 415',
    async (type) => {
      await expectCode(gw.call('PUT', '/api/v1/secrets/ct', { rawBody: '{"a":1}', headers: { 'content-type': type } }), 415, 'ERR_UNSUPPORTED_MEDIA_TYPE');
    },
  );

  it('accepts JSON without a Content-Type, as Vault clients send it', async () => {
    // A byte body: the Request constructor adds text/plain to string bodies, a client on the wire need not.
    expect((await gw.call('PUT', '/api/v1/secrets/noct', { rawBody: new TextEncoder().encode('{"a":1}') })).status).toBe(200);
  });
});

describe('methods, queries and tokens', () => {
  it('answers an unknown method with 405 and Allow', async () => {
    const res = await gw.call('PROPFIND', '/api/v1/secrets/target');
    expect(res.status).toBe(405);
    expect(res.body.error.code).toBe('ERR_METHOD_NOT_ALLOWED');
    expect(res.headers.get('allow')).toContain('GET');
  });

  it('refuses repeated and unknown query parameters', async () => {
    await expectCode(gw.call('GET', '/api/v1/secrets/target?version=1&version=2'), 400, 'ERR_BAD_REQUEST');
    await expectCode(gw.call('GET', '/api/v1/secrets/target?bogus=1'), 400, 'ERR_VALIDATION');
    await expectCode(gw.call('GET', `/api/v1/secrets/target?${Array.from({ length: 40 }, (_, i) => `p${i}=1`).join('&')}`), 400, 'ERR_BAD_REQUEST');
    await expectCode(gw.call('GET', '/api/v1/secrets/target?list=maybe'), 400, 'ERR_BAD_REQUEST');
  });

  it('refuses a trailing slash on anything but a list', async () => {
    await expectCode(gw.call('PUT', '/api/v1/secrets/folder/', { body: { a: 1 } }), 400, 'ERR_PATH_INVALID');
  });

  it('answers 401 with one message whatever is wrong with the token', async () => {
    const cases: (string | null)[] = [null, '', 'kg.wrong', `${gw.rootToken}x`, gw.rootToken.slice(0, -1), 'x'.repeat(10_000)];
    const messages = new Set<string>();
    for (const token of cases) {
      const res = await gw.call('GET', '/api/v1/secrets/target', { token });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('ERR_UNAUTHENTICATED');
      messages.add(res.body.error.message);
    }
    const malformed = await gw.call('GET', '/api/v1/secrets/target', { token: null, headers: { authorization: 'Basic abc' } });
    expect(malformed.status).toBe(401);
    messages.add(malformed.body.error.message);
    expect(messages.size).toBe(1);
  });

  it('refuses two different tokens in one request', async () => {
    await expectCode(gw.call('GET', '/api/v1/secrets/target', { headers: { 'x-vault-token': 'kg.other' } }), 400, 'ERR_BAD_REQUEST');
  });

  it('answers unknown endpoints with a JSON 404', async () => {
    await expectCode(gw.call('GET', '/api/v2/nothing'), 404, 'ERR_NOT_FOUND');
    await expectCode(gw.call('GET', '/api/v1/sys/nothing'), 404, 'ERR_NOT_FOUND');
  });
});
