/**
 * The Hono app: the only layer that knows HTTP. Request ids, error mapping, access logs,
 * health, the sys routes, the two secret faces and the API reference. Runtime-neutral: the
 * Node entry passes the raw request target as `env.rawUrl`.
 */

import { Hono } from 'hono';
import type { Context } from 'hono';
import { GatewayError } from '../core/index.js';
import { serveRoute } from './api-route.js';
import type { ApiRoute } from './api-route.js';
import { serveAuthFace } from './auth-face.js';
import { createExchanges } from './exchange.js';
import type { Exchange, Exchanges } from './exchange.js';
import { apiRoutes } from './routes.js';
import { toHttpError } from './http-errors.js';
import type { KeygateCore } from './keygate.js';
import { openApiDocument, renderReferencePage } from './openapi.js';
import { parseQuery } from './request-input.js';
import { jsonResponse, toResponse } from './respond.js';
import { serveFace } from './secrets-face.js';
import type { Face } from './secrets-face.js';

/** What an entry may pass per request. */
export interface GatewayBindings {
  /** The request target exactly as received (Node: `IncomingMessage.url`), before URL normalisation. */
  rawUrl?: string;
  /** The socket peer's address. */
  remoteAddress?: string;
}

type Env = { Bindings: GatewayBindings; Variables: { exchange: Exchange } };

/** How long a readiness probe waits for storage before answering 503. */
const HEALTH_STORAGE_TIMEOUT_MS = 2000;

/** Builds the HTTP app over a Keygate core. */
export function createApp(core: KeygateCore, exchanges: Exchanges = createExchanges(core)): Hono<Env> {
  const app = new Hono<Env>();

  app.use('*', async (c, next) => {
    const exchange = exchanges.open(c.req.method);
    c.set('exchange', exchange);
    let admitted = true;
    try {
      exchanges.admit(exchange, { url: c.req.url, rawUrl: c.env?.rawUrl, remoteAddress: c.env?.remoteAddress ?? null, forwardedFor: c.req.header('x-forwarded-for') ?? null });
    } catch (err) {
      admitted = false;
      c.res = toResponse(await exchanges.failure(exchange, err));
    }
    if (admitted) await next();
    c.res.headers.set('x-request-id', exchange.requestId);
    exchanges.finish(exchange, c.res.status);
  });

  app.onError(async (err, c) => toResponse(await exchanges.failure(c.get('exchange'), err)));

  app.notFound((c) => {
    const mapped = toHttpError(new GatewayError('ERR_NOT_FOUND', 'no such endpoint'), c.get('exchange').requestId);
    return jsonResponse(mapped.status, mapped.body);
  });

  // Liveness: the process is up and serving HTTP. Never depends on storage or the seal.
  app.get('/health/live', () => jsonResponse(200, { status: 'ok', version: core.version }));

  // Readiness: unsealed, loaded behind the barrier, and storage answering. Load balancers
  // route only to ready replicas (between the unseal and the end of loading, secret paths
  // answer 503).
  const ready = async (): Promise<Response> => {
    const sealed = !core.loaded;
    let storageOk = true;
    try {
      await withTimeout(core.storage.ping(), HEALTH_STORAGE_TIMEOUT_MS);
    } catch {
      storageOk = false;
    }
    const ok = !sealed && storageOk;
    const mounts = core.mountHealth.report();
    const degraded = Object.values(mounts).some((m) => !m.ok);
    const status = !ok ? (sealed ? 'sealed' : 'storage_unavailable') : degraded ? 'degraded' : 'ok';
    // A failing cloud mount degrades, it does not unready: the other mounts still serve.
    const body = { status, sealed, storage: storageOk ? 'ok' : 'unavailable', version: core.version, ...(Object.keys(mounts).length > 0 ? { mounts } : {}) };
    return jsonResponse(ok ? 200 : 503, body);
  };
  app.get('/health', ready);
  app.get('/health/ready', ready);

  app.get('/api/v1/openapi.json', () => jsonResponse(200, openApiDocument(core.version), { 'cache-control': 'public, max-age=300' }));
  app.get('/api/v1/docs', () =>
    new Response(renderReferencePage(openApiDocument(core.version)), {
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
        'x-content-type-options': 'nosniff',
      },
    }),
  );

  const routeHandler = (route: ApiRoute) => (c: Context<Env>) => {
    const { requestId, clientAddress } = c.get('exchange');
    return serveRoute({ core, route, request: c.req.raw, params: c.req.param(), query: parseQuery(c.req.url), requestId, clientAddress });
  };
  for (const route of apiRoutes) {
    const path = toHonoPath(route.path);
    if (route.method === 'LIST') {
      // Vault's LIST verb, or GET with ?list=true.
      app.on('LIST', path, routeHandler(route));
      app.get(path, (c) => {
        if (!new URL(c.req.url).searchParams.has('list')) throw new GatewayError('ERR_METHOD_NOT_ALLOWED', 'use ?list=true or the LIST method here', { headers: { allow: 'LIST' } });
        return routeHandler(route)(c);
      });
    } else app.on(route.method, path, routeHandler(route));
  }
  app.all('/api/v1/sys/*', () => {
    throw new GatewayError('ERR_NOT_FOUND', 'no such sys endpoint');
  });
  app.all('/api/v1/identity/*', () => {
    throw new GatewayError('ERR_NOT_FOUND', 'no such identity endpoint');
  });
  app.all('/api/v1/auth/token/*', () => {
    throw new GatewayError('ERR_NOT_FOUND', 'no such token endpoint');
  });
  app.all('/api/v1/auth/*', (c) => {
    const { rawPath, requestId, clientAddress } = c.get('exchange');
    return serveAuthFace({ core, request: c.req.raw, rawPath, query: parseQuery(c.req.url), requestId, clientAddress });
  });

  const face = (name: Face) => (c: Context<Env>) => {
    const { rawPath, requestId, clientAddress } = c.get('exchange');
    return serveFace({ core, face: name, request: c.req.raw, rawPath, query: parseQuery(c.req.url), requestId, clientAddress });
  };
  for (const [name, prefix] of [['secrets', '/api/v1/secrets'], ['metadata', '/api/v1/metadata']] as const) {
    app.all(prefix, face(name));
    app.all(`${prefix}/*`, face(name));
  }

  return app;
}

/**
 * `/a/{name}` → `/a/:name{.+}` (a parameter may span segments, as mount paths do); before a
 * suffix (`/a/{name}/validate`) the match is lazy, so the suffix route wins over `/a/{name}`.
 */
function toHonoPath(path: string): string {
  return path.replace(/\{(\w+)\}(?=\/)/g, ':$1{.+?}').replace(/\{(\w+)\}/g, ':$1{.+}');
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error('failed'));
      },
    );
  });
}
