/**
 * Faults moto cannot produce (redirects, hostile or huge answers, hangs), from a small
 * local HTTP server standing in for STS. This is the one place a stand-in is used.
 */

import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginRefusal } from '../login-refusal.js';
import { callGetCallerIdentity } from './sts-call.js';

const IDENTITY = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>
<Arn>arn:aws:iam::123456789012:user/alice</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account>
</GetCallerIdentityResult></GetCallerIdentityResponse>`;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

describe('aws: forwarding to STS', () => {
  let server: Server;
  let base = '';
  const routes = new Map<string, Handler>();
  const hits = new Map<string, number>();
  const seen: { path: string; headers: IncomingMessage['headers']; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '/';
      hits.set(path, (hits.get(path) ?? 0) + 1);
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        seen.push({ path, headers: req.headers, body });
        (routes.get(path) ?? ((_, r) => r.writeHead(404).end()))(req, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const call = (path: string, timeoutMs = 2_000) =>
    callGetCallerIdentity(
      (input, init) => globalThis.fetch(input, init),
      { url: `${base}${path}`, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-amz-date': '20240101T000000Z' }, body: new TextEncoder().encode('Action=GetCallerIdentity&Version=2011-06-15') },
      AbortSignal.timeout(timeoutMs),
    );

  const reason = async (promise: Promise<unknown>): Promise<string> => {
    try {
      await promise;
    } catch (err) {
      if (err instanceof LoginRefusal) return err.reason;
      throw err;
    }
    return 'accepted';
  };

  it('forwards exactly the rebuilt request and reads the identity', async () => {
    routes.set('/ok', (_, res) => res.writeHead(200, { 'content-type': 'text/xml' }).end(IDENTITY));
    expect(await call('/ok')).toEqual({ arn: 'arn:aws:iam::123456789012:user/alice', userId: 'AIDAEXAMPLE', account: '123456789012' });
    const last = seen[seen.length - 1];
    expect(last?.body).toBe('Action=GetCallerIdentity&Version=2011-06-15');
    expect(last?.headers['x-amz-date']).toBe('20240101T000000Z');
  });

  it('does not follow redirects', async () => {
    routes.set('/redirect', (_, res) => res.writeHead(307, { location: `${base}/ok-elsewhere` }).end());
    routes.set('/ok-elsewhere', (_, res) => res.writeHead(200).end(IDENTITY));
    expect(await reason(call('/redirect'))).toBe('sts_rejected');
    expect(hits.get('/ok-elsewhere') ?? 0).toBe(0);
  });

  it('refuses STS errors, oversize answers, DOCTYPEs and non-XML', async () => {
    routes.set('/denied', (_, res) => res.writeHead(403).end('<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>'));
    routes.set('/huge', (_, res) => {
      res.writeHead(200);
      res.end(`${IDENTITY}${' '.repeat(1024 * 1024)}`);
    });
    routes.set('/doctype', (_, res) => res.writeHead(200).end(`<!DOCTYPE x [<!ENTITY e "y">]>${IDENTITY}`));
    routes.set('/json', (_, res) => res.writeHead(200).end('{"GetCallerIdentityResponse":{}}'));
    routes.set('/latin1', (_, res) => res.writeHead(200).end(Buffer.from([0xff, 0xfe, 0x3c])));
    expect(await reason(call('/denied'))).toBe('sts_rejected');
    expect(await reason(call('/huge'))).toBe('sts_response_invalid');
    expect(await reason(call('/doctype'))).toBe('sts_response_invalid');
    expect(await reason(call('/json'))).toBe('sts_response_invalid');
    expect(await reason(call('/latin1'))).toBe('sts_response_invalid');
  });

  it('gives up on a hung endpoint when the signal fires, and on an unreachable one', async () => {
    routes.set('/hang', () => undefined);
    const started = Date.now();
    expect(await reason(call('/hang', 300))).toBe('sts_unreachable');
    expect(Date.now() - started).toBeLessThan(5_000);
    const unreachable = callGetCallerIdentity(
      (input, init) => globalThis.fetch(input, init),
      { url: 'http://127.0.0.1:1/', headers: {}, body: new Uint8Array(0) },
      AbortSignal.timeout(2_000),
    );
    expect(await reason(unreachable)).toBe('sts_unreachable');
  });
});
