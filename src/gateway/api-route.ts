/**
 * Routes that are not a backend's paths (`sys/…`, `auth/token/…`, `identity/…`) are data:
 * method, path, schemas, the capability they need and a handler. One function serves them
 * all (seal check, authentication, authorization on the route's policy path, body
 * validation), and the OpenAPI document is generated from the same list.
 */

import type { z } from 'zod';
import { GatewayError, SealedError, parseOrThrow } from '../core/index.js';
import type { JsonObject, Principal, SafeJsonObject } from '../core/index.js';
import type { AuditEvent } from '../audit/index.js';
import type { TokenRecord } from '../auth/index.js';
import type { KeygateCore } from './keygate.js';
import { readJsonBody, takeFlag } from './request-input.js';
import { emptyResponse, jsonResponse } from './respond.js';

export type RouteCapability = 'read' | 'list' | 'create' | 'update' | 'patch' | 'delete';

export interface RouteContext<Body> {
  core: KeygateCore;
  body: Body;
  /** Path parameters, decoded once. */
  params: Record<string, string>;
  query: Record<string, string>;
  /** The caller; null only on routes with `auth: 'none'`. */
  principal: Principal | null;
  /** The caller's token record; null on `auth: 'none'` routes. */
  token: TokenRecord | null;
  requestId: string;
  clientAddress: string | null;
}

export interface RouteResult {
  status: 200 | 204;
  body?: unknown;
}

export interface ApiRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'LIST';
  /** OpenAPI-style path; `{name}` captures one or more segments. */
  path: string;
  summary: string;
  description: string;
  tag: string;
  /** `none`: no token (and callable while sealed when `sealed`); `token`: a token authorized for `capability` on the policy path. */
  auth: 'none' | 'token';
  capability?: RouteCapability;
  /** Also needs `sudo` on the policy path, as Vault's root-protected endpoints do. */
  sudo?: boolean;
  /** Works while sealed. */
  sealed: boolean;
  body?: z.ZodType;
  response?: z.ZodType;
  /** The policy path; default: the URL path after `/api/v1/`, parameters filled in. */
  policyPath?(params: Record<string, string>): string;
  handler(ctx: RouteContext<unknown>): Promise<RouteResult>;
}

/** A typed route: the handler's body is what the schema parses to. Erased for the route list. */
export function defineRoute<Body = JsonObject>(
  route: Omit<ApiRoute, 'handler' | 'body'> & { body?: z.ZodType<Body>; handler(ctx: RouteContext<Body>): Promise<RouteResult> },
): ApiRoute {
  const { body: schema, handler, ...rest } = route;
  return {
    ...rest,
    ...(schema === undefined ? {} : { body: schema }),
    handler: async (ctx) => handler({ ...ctx, body: schema === undefined ? (ctx.body as Body) : parseOrThrow(schema, ctx.body, 'invalid request body') }),
  };
}

/** The policy path a route is authorized on. */
export function routePolicyPath(route: ApiRoute, params: Record<string, string>): string {
  if (route.policyPath !== undefined) return route.policyPath(params);
  const filled = route.path.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? '');
  const path = filled.replace(/^\/api\/v1\//, '');
  return route.method === 'LIST' ? `${path.replace(/\/$/, '')}/` : path;
}

export interface ServeInput {
  core: KeygateCore;
  route: ApiRoute;
  request: Request;
  params: Record<string, string>;
  query: Record<string, string>;
  requestId: string;
  clientAddress: string | null;
}

/** Serves one API route: sealed check, authentication, authorization, body, handler, response. */
export async function serveRoute({ core, route, request, params, query, requestId, clientAddress }: ServeInput): Promise<Response> {
  // Sealed, or unsealed and still loading (audit devices, declared policies): refused.
  if (!route.sealed && !core.loaded) throw new SealedError();
  let principal: Principal | null = null;
  let token: TokenRecord | null = null;
  if (route.auth === 'token') {
    ({ principal, token } = await core.authenticate(request.headers, clientAddress));
    if (route.capability === undefined) throw new GatewayError('ERR_INTERNAL', 'route without a capability');
    await core.authorizer.authorize(principal, routePolicyPath(route, params), route.capability, { sudo: route.sudo === true });
  }
  takeFlag(query, 'list');
  const { limits } = core.config;
  const body = route.body === undefined ? {} : await readJsonBody(request, { maxBodyBytes: limits.max_body_bytes, maxJsonDepth: limits.max_json_depth });
  const event: AuditEvent = {
    type: 'request',
    time: core.runtime.now(),
    requestId,
    operation: route.capability ?? route.method.toLowerCase(),
    path: routePolicyPath(route, params),
    mount: null,
    clientAddress,
    principal,
    requestData: body,
    params: query,
  };
  await core.audit.logRequest(event);
  const result = await route.handler({ core, body, params, query, principal, token, requestId, clientAddress });
  const responseData = isSafeObject(result.body) ? result.body : null;
  await core.audit.logResponse({ ...event, type: 'response', time: core.runtime.now(), responseData, status: result.status });
  return result.status === 204 ? emptyResponse() : jsonResponse(result.status, result.body ?? {});
}

/** Route results are JSON objects built by the handlers; anything else is not audited as data. */
function isSafeObject(value: unknown): value is SafeJsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
