/**
 * The Node entry's fast path for secret reads (src/gateway/fast-path.node.ts) must answer
 * exactly as the Hono app does: same status, body, headers, audit records and logs, for hits,
 * misses and every refusal. Each case is sent both ways and compared.
 */

import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { z } from 'zod';
import { afterEach, describe, expect, it } from 'vitest';
import { createExchanges } from '../src/gateway/exchange.js';
import { createNodeListener } from '../src/gateway/fast-path.node.js';
import { GCP_NAMING } from '../src/providers/naming.js';
import { createMemoryProvider } from '../src/providers/memory-provider.js';
import { createTestGateway } from './helpers/in-process.js';
import type { TestGateway } from './helpers/in-process.js';

let gw: TestGateway | undefined;
let server: http.Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
  await gw?.close();
  gw = undefined;
});

interface Answer {
  status: number;
  body: unknown;
  headers: Record<string, string | undefined>;
}

/** What must match between the two paths: the request id differs per request, and is checked apart. */
const COMPARED_HEADERS = ['content-type', 'cache-control', 'x-content-type-options', 'etag', 'allow', 'retry-after'];

/** The memory device's records, parsed. */
const records = (g: TestGateway): Record<string, any>[] => (g.sinks.get('mem')?.lines ?? []).map((l) => JSON.parse(l) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any -- records are read field by field

const withoutRequestId = (body: unknown): unknown => JSON.parse(JSON.stringify(body ?? null).replace(/"request_id":"[^"]*"/g, '"request_id":"*"'));

async function start(options: Parameters<typeof createTestGateway>[0] = {}) {
  const provider = createMemoryProvider();
  const g = await createTestGateway({
    providers: [{ type: 'memory-store', options: z.strictObject({}), naming: GCP_NAMING, createPort: () => provider }],
    ...options,
    config: {
      mounts: [{ path: '', type: 'kv' }, { path: 'cloud', type: 'memory-store' }],
      policies: { reader: 'path "app/*" { capabilities = ["read", "list"] }\npath "cloud/*" { capabilities = ["read"] }' },
      audit: [{ name: 'mem', type: 'memory' }],
      ...options.config,
    },
  });
  gw = g;
  const s = http.createServer(createNodeListener(g.core, g.app, createExchanges(g.core), '127.0.0.1'));
  server = s;
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as AddressInfo).port;
  const reader = (await g.call('POST', '/api/v1/auth/token/create', { body: { policies: ['reader'] } })).body.auth.client_token as string;

  /** Over the socket: GET is served by the fast path. `headers` may repeat a name (an array). */
  const overNode = (method: string, target: string, headers: Record<string, string | string[]>): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path: target, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          const out: Record<string, string | undefined> = {};
          for (const [k, v] of Object.entries(res.headers)) out[k] = Array.isArray(v) ? v.join(', ') : v;
          resolve({ status: res.statusCode ?? 0, body: text === '' ? null : JSON.parse(text), headers: out });
        });
      });
      req.on('error', reject);
      req.end();
    });

  /** In process, through the Hono app (as every request went before the fast path). */
  const overHono = async (method: string, target: string, headers: Record<string, string | string[]>): Promise<Answer> => {
    const h = new Headers();
    for (const [k, v] of Object.entries(headers)) for (const one of Array.isArray(v) ? v : [v]) h.append(k, one);
    const res = await g.app.fetch(new Request(`http://127.0.0.1${target}`, { method, headers: h }), { rawUrl: target, remoteAddress: '127.0.0.1' });
    const text = await res.text();
    const out: Record<string, string | undefined> = {};
    res.headers.forEach((v, k) => (out[k] = v));
    return { status: res.status, body: text === '' ? null : JSON.parse(text), headers: out };
  };

  return { g, provider, reader, overNode, overHono, port };
}

describe('the Node fast path for secret reads', () => {
  it('answers every kind of read and refusal exactly as the Hono app does', async () => {
    const { g, reader, overNode, overHono } = await start();
    await g.call('PUT', '/api/v1/secrets/app/db', { body: { password: 'fast-path-canary-1' } });
    await g.call('PUT', '/api/v1/secrets/app/sub/x', { body: { a: 1 } });
    await g.call('PUT', '/api/v1/secrets/cloud/key', { body: { k: 'v' } });
    await g.call('PUT', '/api/v1/secrets/other', { body: { hidden: true } });
    const bearer = `Bearer ${reader}`;
    const cases: [string, Record<string, string | string[]>][] = [
      ['/api/v1/secrets/app/db', { authorization: bearer }],
      ['/api/v1/secrets/app/db', { authorization: bearer }],
      ['/api/v1/secrets/app/db?version=1', { authorization: bearer }],
      ['/api/v1/secrets/app/db?version=99', { authorization: bearer }],
      ['/api/v1/secrets/app/db', { 'x-vault-token': reader }],
      ['/api/v1/secrets/app/db', { authorization: bearer, 'cache-control': 'no-cache' }],
      ['/api/v1/secrets/app/db?cache=bypass', { authorization: bearer }],
      ['/api/v1/secrets/app/db?cache=maybe', { authorization: bearer }],
      ['/api/v1/secrets/cloud/key', { authorization: bearer }],
      ['/api/v1/secrets/app/missing', { authorization: bearer }],
      ['/api/v1/secrets/app/?list=true', { authorization: bearer }],
      ['/api/v1/secrets/app/db?list=maybe', { authorization: bearer }],
      ['/api/v1/secrets/app/db?help=1', { authorization: bearer }],
      ['/api/v1/secrets/app/db/', { authorization: bearer }],
      ['/api/v1/secrets/other', { authorization: bearer }],
      ['/api/v1/secrets/app/db', {}],
      ['/api/v1/secrets/app/db', { authorization: 'Bearer kg_not-a-token' }],
      ['/api/v1/secrets/app/db', { authorization: 'Basic abc' }],
      // Two tokens in one request are refused on both paths, never one of them picked.
      ['/api/v1/secrets/app/db', { authorization: [bearer, 'Bearer kg_other'] }],
      ['/api/v1/secrets/app/db', { authorization: bearer, 'x-vault-token': 'kg_other' }],
      ['/api/v1/secrets/app/%2e%2e/other', { authorization: bearer }],
      ['/api/v1/secrets/app/../other', { authorization: bearer }],
      ['/api/v1/secrets/app//db', { authorization: bearer }],
      ['/api/v1/secrets/app/%zz', { authorization: bearer }],
      ['/api/v1/secrets/app/a%2Fb', { authorization: bearer }],
      ['/api/v1/secrets/sys/x', { authorization: bearer }],
      [`/api/v1/secrets/${'a'.repeat(600)}`, { authorization: bearer }],
      ['/api/v1/secrets/app/db?a=1&a=2', { authorization: bearer }],
      ['/api/v1/secrets/app/db', { authorization: bearer, 'if-none-match': '"1"' }],
    ];
    for (const [target, headers] of cases) {
      const hono = await overHono('GET', target, headers);
      const node = await overNode('GET', target, headers);
      const label = `${target} ${JSON.stringify(headers)}`;
      expect({ label, status: node.status, body: withoutRequestId(node.body) }).toEqual({ label, status: hono.status, body: withoutRequestId(hono.body) });
      for (const name of COMPARED_HEADERS) expect({ label, name, value: node.headers[name] }).toEqual({ label, name, value: hono.headers[name] });
      expect(node.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      if (node.status >= 400) expect((node.body as { error: { request_id: string } }).error.request_id).toBe(node.headers['x-request-id']);
      expect(node.headers['content-length']).toBe(node.body === null ? undefined : String(Buffer.byteLength(JSON.stringify(node.body))));
    }
    // Reads and refusals alike reached the audit device.
    expect(g.sinks.get('mem')?.lines.length ?? 0).toBeGreaterThan(cases.length * 2);
  });

  it('answers arbitrary request targets and header sets the same way on both paths (property)', async () => {
    const { g, reader, overNode, overHono } = await start();
    await g.call('PUT', '/api/v1/secrets/app/db', { body: { password: 'fast-path-canary-4' } });
    await g.call('PUT', '/api/v1/secrets/app/a b', { body: { x: 1 } });
    const segment = fc.oneof(
      fc.constantFrom('app', 'db', 'a%20b', '.', '..', '%2e', '%2E%2e', '%2F', '%5C', '%00', '%zz', '%', 'sys', 'auth', 'metadata', '', 'x'.repeat(40), '%C3%A9', '~', '-_.'),
      fc.stringMatching(/^[A-Za-z0-9._~%-]{1,12}$/),
    );
    const query = fc.oneof(
      fc.constant(''),
      fc.constantFrom('?list=true', '?list=1', '?list=maybe', '?help=1', '?cache=bypass', '?cache=x', '?version=1', '?version=abc', '?a=1&a=2', '?', '?=', '?%zz=1', `?${'p=1&'.repeat(40)}`),
      fc.stringMatching(/^\?[A-Za-z0-9=&%._-]{0,30}$/),
    );
    // Mostly paths and tokens that get past authentication, so the later steps are compared too.
    const paths = fc.oneof(
      { arbitrary: fc.constantFrom(['app', 'db'], ['app', ''], ['app', 'a%20b'], ['app', 'missing']), weight: 3 },
      { arbitrary: fc.array(segment, { minLength: 0, maxLength: 5 }), weight: 2 },
    );
    const headerSet = fc.record(
      {
        authorization: fc.oneof({ arbitrary: fc.constant(`Bearer ${reader}`), weight: 6 }, { arbitrary: fc.constantFrom(`bearer ${reader}`, 'Bearer kg.nope', 'Basic x', ''), weight: 2 }),
        'x-vault-token': fc.oneof({ arbitrary: fc.constant(''), weight: 4 }, { arbitrary: fc.constantFrom(reader, 'kg.other'), weight: 1 }),
        'cache-control': fc.constantFrom('no-cache', 'max-age=0', 'max-age=10', 'no-store'),
        pragma: fc.constantFrom('no-cache', 'x'),
        'if-none-match': fc.constantFrom('"1"', '*', 'W/"1"', ''),
        'x-forwarded-for': fc.constantFrom('10.0.0.1', 'not an ip, 1.2.3.4'),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(paths, query, headerSet, async (segments, q, headers) => {
        const target = `/api/v1/secrets/${segments.join('/')}${q}`;
        const clean: Record<string, string> = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== ''));
        const node = await overNode('GET', target, clean);
        const hono = await overHono('GET', target, clean);
        expect({ target, clean, status: node.status, body: withoutRequestId(node.body) }).toEqual({ target, clean, status: hono.status, body: withoutRequestId(hono.body) });
      }),
      { numRuns: 150 },
    );
  });

  it('audits a fast-path hit and a refusal with the request id it answered with, and keeps the value out of the record', async () => {
    const { g, reader, overNode } = await start();
    await g.call('PUT', '/api/v1/secrets/app/db', { body: { password: 'fast-path-canary-2' } });
    await overNode('GET', '/api/v1/secrets/app/db', { authorization: `Bearer ${reader}` });
    const hit = await overNode('GET', '/api/v1/secrets/app/db', { authorization: `Bearer ${reader}` });
    expect(hit.status).toBe(200);
    const denied = await overNode('GET', '/api/v1/secrets/other', { authorization: `Bearer ${reader}` });
    expect(denied.status).toBe(403);
    const all = records(g);
    const ofHit = all.filter((r) => r.request_id === hit.headers['x-request-id']);
    // A hit is its response record alone (the default, decision 0021).
    expect(ofHit.map((r) => [r.type, r.cache])).toEqual([['response', 'hit']]);
    const ofDenied = all.filter((r) => r.request_id === denied.headers['x-request-id']);
    expect(ofDenied.at(-1)).toMatchObject({ type: 'response', error: { code: 'ERR_PERMISSION_DENIED' } });
    expect(JSON.stringify(all)).not.toContain('fast-path-canary-2');
  });

  it('gives every hit of one cached answer its own request id, once, and the next version after a write', async () => {
    const { g, reader, port } = await start();
    await g.call('PUT', '/api/v1/secrets/app/db', { body: { password: 'v1' } });
    // The raw header list: a shared, memoised header list must not collect earlier requests' ids.
    const raw = (): Promise<{ headers: string[]; body: string }> =>
      new Promise((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: '/api/v1/secrets/app/db', headers: { authorization: `Bearer ${reader}` } }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (body += d));
            res.on('end', () => resolve({ headers: res.rawHeaders, body }));
          })
          .on('error', reject);
      });
    const named = (headers: string[], name: string) => headers.filter((_, i) => i % 2 === 0 && headers[i]?.toLowerCase() === name).length;
    const value = (headers: string[], name: string) => headers[headers.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === name) + 1];
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const { headers, body } = await raw();
      expect(named(headers, 'x-request-id')).toBe(1);
      expect(named(headers, 'content-length')).toBe(1);
      expect(value(headers, 'content-length')).toBe(String(Buffer.byteLength(body)));
      expect(value(headers, 'etag')).toBe('"1"');
      expect(JSON.parse(body)).toMatchObject({ data: { password: 'v1' } });
      ids.add(value(headers, 'x-request-id') ?? '');
    }
    expect(ids.size).toBe(5);
    expect((await g.call('GET', '/api/v1/sys/cache')).body.data).toMatchObject({ hits: 4 });
    // A long value: the cached answer keeps it by reference and joins the body per read (respond.ts).
    const long = 'v2'.repeat(600);
    await g.call('PUT', '/api/v1/secrets/app/db', { body: { password: long, note: 'é' } });
    for (let i = 0; i < 2; i++) {
      const after = await raw();
      expect(value(after.headers, 'etag')).toBe('"2"');
      expect(value(after.headers, 'content-length')).toBe(String(Buffer.byteLength(after.body)));
      expect(JSON.parse(after.body)).toMatchObject({ data: { password: long, note: 'é' } });
    }
  });

  it('sends everything but GET on /api/v1/secrets/ to the Hono app', async () => {
    const { g, reader, overNode } = await start();
    const put = await new Promise<number>((resolve, reject) => {
      const port = (server?.address() as AddressInfo).port;
      const req = http.request({ host: '127.0.0.1', port, method: 'PUT', path: '/api/v1/secrets/app/new', headers: { authorization: `Bearer ${g.rootToken}`, 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ v: 1 }));
    });
    expect(put).toBe(200);
    expect((await overNode('GET', '/api/v1/secrets/app/new', { authorization: `Bearer ${reader}` })).status).toBe(200);
    expect((await overNode('HEAD', '/api/v1/secrets/app/new', { authorization: `Bearer ${reader}` })).status).toBe(405);
    expect((await overNode('GET', '/health/live', {})).status).toBe(200);
    expect((await overNode('GET', '/api/v1/secrets', { authorization: `Bearer ${reader}` })).status).toBe(403);
    expect((await overNode('GET', '/api/v1/nothing', {})).body).toMatchObject({ error: { code: 'ERR_NOT_FOUND' } });
  });

  it('answers pipelined reads, more than one batch holds, in order, with a write and a HEAD among them', async () => {
    const { g, reader, port } = await start();
    await g.call('PUT', '/api/v1/secrets/app/a', { body: { v: 'a1' } });
    await g.call('PUT', '/api/v1/secrets/app/b', { body: { v: 'b1' } });
    const get = (path: string) => `GET /api/v1/secrets/app/${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${reader}\r\n\r\n`;
    const put = `PUT /api/v1/secrets/app/c HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${g.rootToken}\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{"v":"c1"}`;
    const head = `HEAD /api/v1/secrets/app/a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${reader}\r\n\r\n`;
    // 1,500 reads (the fast path starts at most 1,024 together), then a write, a HEAD and two more reads, in one send.
    const sent: { status: number; value?: string }[] = [];
    let text = '';
    for (let i = 0; i < 1500; i++) {
      const path = i % 3 === 0 ? 'b' : 'a';
      text += get(path);
      sent.push({ status: 200, value: `${path}1` });
    }
    text += put + head + get('a') + get('missing');
    sent.push({ status: 200 }, { status: 405 }, { status: 200, value: 'a1' }, { status: 404 });

    const answers = await new Promise<{ status: number; body: string; requestId: string }[]>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
      let buffer = Buffer.alloc(0);
      const out: { status: number; body: string; requestId: string }[] = [];
      socket.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        for (;;) {
          const end = buffer.indexOf('\r\n\r\n');
          if (end === -1) break;
          const headText = buffer.subarray(0, end).toString('latin1');
          const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headText)?.[1]);
          const length = out.length === sent.length - 3 ? 0 : Number(/\r\ncontent-length: (\d+)/i.exec(headText)?.[1] ?? 0);
          if (buffer.length < end + 4 + length) break;
          out.push({ status, body: buffer.subarray(end + 4, end + 4 + length).toString('utf8'), requestId: /\r\nx-request-id: ([^\r]+)/i.exec(headText)?.[1] ?? '' });
          buffer = buffer.subarray(end + 4 + length);
        }
        if (out.length === sent.length) {
          socket.destroy();
          resolve(out);
        }
      });
      socket.on('error', reject);
    });

    expect(answers.map((a) => a.status)).toEqual(sent.map((s) => s.status));
    answers.forEach((a, i) => {
      const value = sent[i]?.value;
      if (value !== undefined) expect((JSON.parse(a.body) as { data: { v: string } }).data.v).toBe(value);
    });
    expect(new Set(answers.map((a) => a.requestId)).size).toBe(answers.length);
    expect((await g.call('GET', '/api/v1/secrets/app/c')).body.data).toEqual({ v: 'c1' });
  });

  it('writes the access log line for fast-path reads, and a 5xx always', async () => {
    const { g, reader, overNode } = await start({ config: { log: { access: true } } });
    await g.call('PUT', '/api/v1/secrets/app/db', { body: { password: 'fast-path-canary-3' } });
    const res = await overNode('GET', '/api/v1/secrets/app/db', { authorization: `Bearer ${reader}` });
    const line = g.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.request_id === res.headers['x-request-id'] && l.msg === 'request');
    expect(line).toMatchObject({ method: 'GET', path: '/api/v1/secrets/app/db', status: 200 });
    expect(g.logs.join('\n')).not.toContain('fast-path-canary-3');
  });

  it('cancels the backend call when the client goes away during a miss', async () => {
    const { g, provider, reader, port } = await start();
    await g.call('PUT', '/api/v1/secrets/cloud/slow', { body: { k: 'v' } });
    provider.faults.delayMs = 10_000;
    const reads = provider.faults.calls.read ?? 0;
    const req = http.request({ host: '127.0.0.1', port, method: 'GET', path: '/api/v1/secrets/cloud/slow', headers: { authorization: `Bearer ${reader}`, 'cache-control': 'no-cache' } });
    req.on('error', () => undefined);
    req.end();
    // Wait until the backend call is under way, then hang up.
    for (let i = 0; i < 200 && (provider.faults.calls.read ?? 0) === reads; i++) await new Promise((r) => setTimeout(r, 10));
    expect(provider.faults.calls.read).toBe(reads + 1);
    const started = Date.now();
    req.destroy();
    // The cancelled call is refused by the provider and audited as a failure, well before its 10 s delay.
    for (let i = 0; i < 300; i++) {
      if (records(g).some((r) => r.path === 'cloud/slow' && r.type === 'response' && r.error !== undefined)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(Date.now() - started).toBeLessThan(2500);
    const failed = records(g).filter((r) => r.path === 'cloud/slow' && r.type === 'response');
    expect(failed.at(-1)?.error).toBeDefined();
  });
});
