import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Http2Bindings, HttpBindings } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import { lightweightSignal } from './request-signal.node.js';

type Handler = (request: Request) => Promise<Response>;
const servers: ReturnType<typeof serve>[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((resolve) => s.close(() => resolve()));
});

async function start(handler: Handler): Promise<number> {
  return new Promise((resolve) => {
    const s = serve(
      {
        fetch: (request: Request, bindings: HttpBindings | Http2Bindings) => {
          lightweightSignal(request, bindings);
          return handler(request);
        },
        hostname: '127.0.0.1',
        port: 0,
      },
      () => resolve((s.address() as AddressInfo).port),
    );
    servers.push(s);
  });
}

/** Whether @hono/node-server materialised its full Request (its private `requestCache` symbol is set). */
const materialised = (request: Request): boolean => Object.getOwnPropertySymbols(request).some((s) => s.description === 'requestCache');

describe('lightweightSignal (Node entry)', () => {
  it('gives a request a signal without building the full WHATWG Request, and does not abort a request that completes', async () => {
    let seen: { signal: AbortSignal; same: boolean; built: boolean } | null = null;
    const port = await start(async (request) => {
      const signal = request.signal;
      seen = { signal, same: request.signal === signal, built: materialised(request) };
      return new Response('ok');
    });
    const res = await fetch(`http://127.0.0.1:${port}/x`);
    expect(await res.text()).toBe('ok');
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).not.toBeNull();
    const { signal, same, built } = seen ?? { signal: new AbortController().signal, same: false, built: true };
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(same).toBe(true);
    expect(built).toBe(false);
    expect(signal.aborted).toBe(false);
  });

  it('aborts the signal when the client goes away before the answer', async () => {
    let aborted: (reason: unknown) => void = () => undefined;
    const abortedReason = new Promise<unknown>((resolve) => {
      aborted = resolve;
    });
    let received: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => {
      received = resolve;
    });
    const port = await start(async (request) => {
      const signal = request.signal;
      signal.addEventListener('abort', () => aborted(signal.reason), { once: true });
      received();
      await abortedReason;
      return new Response('too late');
    });
    const req = http.request({ host: '127.0.0.1', port, path: '/slow' });
    req.on('error', () => undefined);
    req.end();
    await arrived;
    req.destroy();
    // As @hono/node-server words it: the request stream's error, or "prematurely closed".
    expect(String(await abortedReason)).toMatch(/aborted|prematurely closed/);
  });
});
