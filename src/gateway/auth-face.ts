/**
 * `/api/v1/auth/login` and `/api/v1/auth/{mount}/…`: logins (no token; rate-limited) and
 * the auth methods' own configuration and role paths (token and policy on `auth/{mount}/…`).
 * The token API (`/api/v1/auth/token/…`) is served by `token-routes.ts` before this.
 */

import { GatewayError, canonicalizePath } from '../core/index.js';
import type { JsonObject, Operation } from '../core/index.js';
import type { KeygateCore } from './keygate.js';
import { preconditionsFrom, readJsonBody, takeFlag } from './request-input.js';
import { emptyResponse, jsonResponse } from './respond.js';

const PREFIX = '/api/v1/auth/';
const METHOD_OPERATION: Partial<Record<string, Operation>> = { GET: 'read', PUT: 'update', POST: 'update', DELETE: 'delete', PATCH: 'patch' };

export interface AuthFaceRequest {
  core: KeygateCore;
  request: Request;
  rawPath: string;
  query: Record<string, string>;
  requestId: string;
  clientAddress: string | null;
}

export async function serveAuthFace({ core, request, rawPath, query, requestId, clientAddress }: AuthFaceRequest): Promise<Response> {
  if (!rawPath.startsWith(PREFIX)) throw new GatewayError('ERR_PATH_INVALID', 'invalid path: the API prefix must not be percent-encoded');
  const { limits } = core.config;
  const { path, trailingSlash } = canonicalizePath(rawPath.slice(PREFIX.length), limits.max_path_bytes);
  const method = request.method.toUpperCase();
  const list = takeFlag(query, 'list');
  // Sealed, or still loading after an unseal: a login now would go unaudited.
  if (!core.loaded) throw new GatewayError('ERR_SEALED', 'Keygate is sealed');
  const readBody = () => readJsonBody(request, { maxBodyBytes: limits.max_body_bytes, maxJsonDepth: limits.max_json_depth });

  const isWrite = method === 'POST' || method === 'PUT';
  if (isWrite && !trailingSlash && (path === 'login' || path.endsWith('/login'))) {
    const body = await readBody();
    let mount = path.slice(0, -'/login'.length);
    let credentials: JsonObject = body;
    if (path === 'login') {
      // The seed's shape: POST /api/v1/auth/login {"method": "<mount path>", …credentials}.
      const { method: named, ...rest } = body;
      if (typeof named !== 'string' || named === '') {
        throw new GatewayError('ERR_VALIDATION', 'name the auth mount in "method"', { details: [{ field: 'method', reason: 'must be the auth mount path, e.g. "approle"' }] });
      }
      mount = named.replace(/\/+$/, '');
      credentials = rest;
    }
    const auth = await core.login({ mount, body: credentials, clientAddress, requestId, signal: request.signal });
    return jsonResponse(200, { auth });
  }

  const { principal } = await core.authenticate(request.headers, clientAddress);
  const operation: Operation | undefined = method === 'LIST' || (method === 'GET' && list) ? 'list' : METHOD_OPERATION[method];
  if (operation === undefined) throw new GatewayError('ERR_METHOD_NOT_ALLOWED', `method ${method.slice(0, 16)} is not allowed here`);
  if (trailingSlash && operation !== 'list') throw new GatewayError('ERR_PATH_INVALID', 'invalid path: a trailing "/" addresses a folder; only listing is allowed there');
  const data = method === 'POST' || method === 'PUT' || method === 'PATCH' ? await readBody() : {};
  const { response } = await core.authPipeline.handle({
    operation,
    path,
    data,
    params: query,
    preconditions: preconditionsFrom(request.headers),
    principal,
    requestId,
    signal: request.signal,
    clientAddress,
  });
  const status = response.status ?? 200;
  if (status === 204) return emptyResponse(204);
  return jsonResponse(status, { data: response.data, ...(response.warnings && response.warnings.length > 0 ? { warnings: response.warnings } : {}) });
}
