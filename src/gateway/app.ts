/**
 * The Hono app: the only layer that knows HTTP. Request ids, error mapping, access logs,
 * health, the sys routes, the two secret faces and the API reference. Runtime-neutral: the
 * Node entry passes the raw request target as `env.rawUrl`.
 */

import { Hono } from 'hono';
import type { Context } from 'hono';
import { GatewayError, PermissionDeniedError, SealedError, hasDotSegment, isGatewayError } from '../core/index.js';
import type { Principal } from '../core/index.js';
import { toHttpError } from './http-errors.js';
import type { KeygateCore } from './keygate.js';
import { openApiDocument, renderReferencePage } from './openapi.js';
import { parseQuery, rawPathOf, readJsonBody, tokenFrom } from './request-input.js';
import { emptyResponse, jsonResponse } from './respond.js';
import { serveFace } from './secrets-face.js';
import type { Face } from './secrets-face.js';
import { sysRoutes } from './sys-routes.js';
import type { SysRoute } from './sys-routes.js';

/** What an entry may pass per request. */
export interface GatewayBindings {
  /** The request target exactly as received (Node: `IncomingMessage.url`), before URL normalisation. */
  rawUrl?: string;
}

type Env = { Bindings: GatewayBindings; Variables: { requestId: string; rawPath: string } };

/** How long a readiness probe waits for storage before answering 503. */
const HEALTH_STORAGE_TIMEOUT_MS = 2000;

/** Builds the HTTP app over a Keygate core. */
export function createApp(core: KeygateCore): Hono<Env> {
  const app = new Hono<Env>();
  const { runtime } = core;
  const log = runtime.logger;

  app.use('*', async (c, next) => {
    const started = runtime.now();
    const requestId = runtime.randomUUID();
    c.set('requestId', requestId);
    c.set('rawPath', rawPathOf(c.req.url, c.env?.rawUrl));
    if (hasDotSegment(c.get('rawPath'))) {
      // The router saw the normalised URL; what the client asked for is something else. Refuse, never resolve.
      throw new GatewayError('ERR_PATH_INVALID', 'invalid path: "." and ".." segments are not allowed');
    }
    await next();
    c.res.headers.set('x-request-id', requestId);
    const status = c.res.status;
    const entry = { request_id: requestId, method: c.req.method.slice(0, 16), path: c.get('rawPath').slice(0, 256), status, duration_ms: runtime.now() - started };
    if (status >= 500) log.warn(entry, 'request failed');
    else log.info(entry, 'request');
  });

  app.onError((err, c) => {
    const requestId = c.get('requestId');
    if (!isGatewayError(err) || err.status >= 500) {
      // Log what an operator needs, never a request body (no handler puts one in an error).
      log.error({ request_id: requestId, code: isGatewayError(err) ? err.code : 'ERR_INTERNAL', err: describeError(err) }, 'error');
    }
    const mapped = toHttpError(err, requestId);
    return jsonResponse(mapped.status, mapped.body, mapped.headers);
  });

  app.notFound((c) => {
    const mapped = toHttpError(new GatewayError('ERR_NOT_FOUND', 'no such endpoint'), c.get('requestId'));
    return jsonResponse(mapped.status, mapped.body);
  });

  // Liveness: the process is up and serving HTTP. Never depends on storage or the seal.
  app.get('/health/live', () => jsonResponse(200, { status: 'ok', version: core.version }));

  // Readiness: unsealed and storage answering. Load balancers route only to ready replicas.
  const ready = async (): Promise<Response> => {
    const sealed = core.barrier.sealed;
    let storageOk = true;
    try {
      await withTimeout(core.storage.ping(), HEALTH_STORAGE_TIMEOUT_MS);
    } catch {
      storageOk = false;
    }
    const ok = !sealed && storageOk;
    const body = { status: ok ? 'ok' : sealed ? 'sealed' : 'storage_unavailable', sealed, storage: storageOk ? 'ok' : 'unavailable', version: core.version };
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

  for (const route of sysRoutes) {
    app.on(route.method, toHonoPath(route.path), (c) => serveSys(core, route, c));
  }
  app.all('/api/v1/sys/*', () => {
    throw new GatewayError('ERR_NOT_FOUND', 'no such sys endpoint');
  });

  const face = (name: Face) => (c: Context<Env>) =>
    serveFace({ core, face: name, request: c.req.raw, rawPath: c.get('rawPath'), query: parseQuery(c.req.url), requestId: c.get('requestId') });
  for (const [name, prefix] of [['secrets', '/api/v1/secrets'], ['metadata', '/api/v1/metadata']] as const) {
    app.all(prefix, face(name));
    app.all(`${prefix}/*`, face(name));
  }

  return app;
}

async function serveSys(core: KeygateCore, route: SysRoute, c: Context<Env>): Promise<Response> {
  if (!route.sealed && core.barrier.sealed) throw new SealedError();
  let principal: Principal | null = null;
  if (route.auth === 'root') {
    principal = await core.auth.authenticate(tokenFrom(c.req.raw.headers));
    if (!principal.policies.includes('root')) throw new PermissionDeniedError();
  }
  const { limits } = core.config;
  const body = route.body === undefined ? {} : await readJsonBody(c.req.raw, { maxBodyBytes: limits.max_body_bytes, maxJsonDepth: limits.max_json_depth });
  const result = await route.handler({ core, body, params: c.req.param(), principal, requestId: c.get('requestId') });
  return result.status === 204 ? emptyResponse() : jsonResponse(result.status, result.body ?? {});
}

/** `/a/{name}/b` → `/a/:name{.+}/b` (a parameter may span segments, as mount paths do). */
function toHonoPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1{.+}');
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

function describeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const cause = err.cause instanceof Error ? { name: err.cause.name, message: err.cause.message } : undefined;
  return { name: err.name, message: err.message, stack: err.stack, cause };
}

