/**
 * The documented contract: `/api/v1/secrets/{path}` and `/api/v1/metadata/{path}`. Reduces
 * an HTTP request to one `OperationRequest`, runs it through the pipeline, and writes the
 * `{ data, metadata }` envelope. The only HTTP-aware part of the secret path.
 */

import { GatewayError, SealedError, canonicalizePath } from '../core/index.js';
import type { ActionOperation, JsonObject, MountRef, Operation, OperationResponse, SafeJsonObject } from '../core/index.js';
import { RESERVED_PREFIXES } from './keygate.js';
import { LazySignalRequest } from './pipeline.js';
import type { KeygateCore } from './keygate.js';
import { preconditionsFrom, readJsonBody, takeFlag } from './request-input.js';
import type { BodyLimits, RequestHeaders } from './request-input.js';
import { emptyAnswer, frozenAnswer, jsonAnswer, toResponse } from './respond.js';
import type { Answer } from './respond.js';

export type Face = 'secrets' | 'metadata';

export const FACE_PREFIX: Readonly<Record<Face, string>> = {
  secrets: '/api/v1/secrets',
  metadata: '/api/v1/metadata',
};

const METHOD_OPERATION: Readonly<Record<Face, Partial<Record<string, Operation>>>> = {
  secrets: { GET: 'read', PUT: 'update', POST: 'update', PATCH: 'patch', DELETE: 'delete' },
  metadata: { GET: 'read-metadata', PUT: 'write-metadata', POST: 'write-metadata', PATCH: 'patch-metadata', DELETE: 'delete-metadata' },
};
const ACTIONS: readonly string[] = ['rotate', 'undelete', 'destroy'] satisfies ActionOperation[];
const isAction = (segment: string): segment is ActionOperation => ACTIONS.includes(segment);
const ALLOW = 'GET, PUT, POST, PATCH, DELETE, LIST';

/**
 * Whether the client asked to skip the read cache: `?cache=bypass` (removed from the query),
 * or `Cache-Control: no-cache` / `max-age=0` (or `Pragma: no-cache`). docs/cache.md.
 */
export function cacheBypassOf(query: Record<string, string>, headers: RequestHeaders): boolean {
  let bypass = false;
  if (Object.hasOwn(query, 'cache')) {
    const value = query.cache;
    delete query.cache;
    if (value !== 'bypass') throw new GatewayError('ERR_BAD_REQUEST', 'query parameter "cache" must be "bypass"');
    bypass = true;
  }
  const control = headers.get('cache-control');
  if (control !== null && /(?:^|,)\s*(?:no-cache|max-age\s*=\s*0)\s*(?:,|$)/i.test(control)) bypass = true;
  if (headers.get('pragma')?.trim().toLowerCase() === 'no-cache') bypass = true;
  return bypass;
}

function envelope(response: OperationResponse, mount: MountRef): { data?: SafeJsonObject; metadata: JsonObject; warnings?: string[] } {
  const body: { data?: SafeJsonObject; metadata: JsonObject; warnings?: string[] } = {
    data: response.data,
    metadata: { ...response.metadata, mount: mount.path, backend: mount.type },
  };
  if (response.warnings !== undefined && response.warnings.length > 0) body.warnings = response.warnings;
  return body;
}

/** One request on a secrets face, whatever carried it (a WHATWG `Request`, or the Node fast path). */
export interface FaceInput {
  core: KeygateCore;
  face: Face;
  method: string;
  headers: RequestHeaders;
  /** The JSON body under the limits; read only for PUT, POST and PATCH. */
  readBody(limits: BodyLimits): Promise<JsonObject>;
  /** The request's abort signal; asked for only when something must be able to cancel (never on a cache hit). */
  signal(): AbortSignal;
  /** The raw path, still percent-encoded, as the client sent it. */
  rawPath: string;
  query: Record<string, string>;
  requestId: string;
  clientAddress: string | null;
}

export interface FaceRequest {
  core: KeygateCore;
  face: Face;
  request: Request;
  /** The raw path, still percent-encoded, as the client sent it. */
  rawPath: string;
  query: Record<string, string>;
  requestId: string;
  clientAddress: string | null;
}

/** Serves one request on a secrets face from a WHATWG `Request`. Throws `GatewayError`s; the app maps them to responses. */
export async function serveFace({ request, ...rest }: FaceRequest): Promise<Response> {
  return toResponse(
    await answerFace({
      ...rest,
      method: request.method,
      headers: request.headers,
      readBody: (limits) => readJsonBody(request, limits),
      signal: () => request.signal,
    }),
  );
}

/** Answers one request on a secrets face. Throws `GatewayError`s; the caller maps them to answers. */
export async function answerFace(input: FaceInput): Promise<Answer> {
  const { core, face, headers, rawPath, query, requestId, clientAddress } = input;
  const prefix = FACE_PREFIX[face];
  if (!rawPath.startsWith(prefix) || (rawPath.length > prefix.length && rawPath[prefix.length] !== '/')) {
    // The router matched a decoded form (e.g. "/api/v1/%73ecrets"): refuse rather than guess.
    throw new GatewayError('ERR_PATH_INVALID', 'invalid path: the API prefix must not be percent-encoded');
  }
  const { limits } = core.config;
  const { path, trailingSlash } = canonicalizePath(rawPath.slice(prefix.length + 1), limits.max_path_bytes);
  const slashAt = path.indexOf('/');
  const first = slashAt === -1 ? path : path.slice(0, slashAt);
  if ((RESERVED_PREFIXES as readonly string[]).includes(first)) {
    // These are the policy namespaces of sys, auth, identity and metadata: a secret there would be ambiguous.
    throw new GatewayError('ERR_PATH_INVALID', `invalid path: "${first}/" is reserved`);
  }
  const method = input.method.toUpperCase();
  const list = takeFlag(query, 'list');
  const help = takeFlag(query, 'help');
  const bypassCache = cacheBypassOf(query, headers);

  // Sealed, or still loading after an unseal, answers 503 before anything else: no token can be
  // checked without the keyring, and no answer may leave before the audit devices are loaded.
  if (!core.loaded) throw new SealedError();
  const { principal } = await core.authenticate(headers, clientAddress);

  let operation: Operation | undefined;
  let opPath = path;
  if (method === 'LIST' || (method === 'GET' && list)) operation = 'list';
  else if (list) throw new GatewayError('ERR_BAD_REQUEST', '"list" is only valid with GET');
  else if (trailingSlash) {
    throw new GatewayError('ERR_PATH_INVALID', 'invalid path: a trailing "/" addresses a folder; only listing is allowed there');
  } else if (face === 'secrets' && method === 'POST') {
    // `POST …/rotate` (and the backend's other actions) act on the path before the last segment.
    const slash = path.lastIndexOf('/');
    const last = path.slice(slash + 1);
    if (slash > 0 && isAction(last)) {
      const target = path.slice(0, slash);
      if (core.pipeline.route(target)?.engine.actions.includes(last) === true) {
        operation = last;
        opPath = target;
      }
    }
  }
  operation ??= METHOD_OPERATION[face][method];
  if (operation === undefined) {
    throw new GatewayError('ERR_METHOD_NOT_ALLOWED', `method ${method.slice(0, 16)} is not allowed here`, { headers: { allow: ALLOW } });
  }

  const hasBody = method === 'PUT' || method === 'POST' || method === 'PATCH';
  const data: JsonObject = hasBody ? await input.readBody({ maxBodyBytes: limits.max_body_bytes, maxJsonDepth: limits.max_json_depth }) : {};
  // The signal is made on first use only (never on a cache hit): see LazySignalRequest.
  const opRequest = new LazySignalRequest(
    { operation, path: opPath, data, params: query, preconditions: preconditionsFrom(headers), principal, requestId, clientAddress, bypassCache },
    input.signal,
  );
  if (help) return jsonAnswer(200, { data: (await core.pipeline.help(opRequest)).data ?? {} });

  const { response, mount, shared } = await core.pipeline.handle(opRequest);

  if (shared !== true) return answerOf(response, mount);
  // A cached answer is one frozen object for every reader: so is its answer, made on the first read.
  return core.readCache.derive(response, answerKeyOf(mount), () => frozenAnswer(answerOf(response, mount), Object.values(response.data ?? {})));
}

/** The answer to a face's operation: the `{ data, metadata }` envelope, the entity tag, or 204. */
function answerOf(response: OperationResponse, mount: MountRef): Answer {
  const extra: Record<string, string> = response.etag === undefined ? {} : { etag: `"${response.etag}"` };
  const status = response.status ?? 200;
  if (status === 204) return emptyAnswer(204, extra);
  return jsonAnswer(status, envelope(response, mount), extra);
}

/** `derive` keys per mount, made once per mount object rather than concatenated on every hit. */
const ANSWER_KEYS = new WeakMap<MountRef, string>();
function answerKeyOf(mount: MountRef): string {
  let key = ANSWER_KEYS.get(mount);
  if (key === undefined) {
    key = `answer\u0000${mount.id}\u0000${mount.path}\u0000${mount.type}`;
    ANSWER_KEYS.set(mount, key);
  }
  return key;
}
