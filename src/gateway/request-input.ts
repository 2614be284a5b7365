/**
 * Reading what a client sent, with every bound enforced before the input is trusted:
 * the raw path (before any URL normalisation), the query, the body, the token, and the
 * conditional headers.
 */

import { GatewayError, fromUtf8, parseJsonObject, readStreamBounded } from '../core/index.js';
import type { JsonObject, Preconditions } from '../core/index.js';

/**
 * What the gateway reads of a request's headers: a WHATWG `Headers`, or the Node entry's
 * view of `IncomingMessage.headers` (fast-path.node.ts). Names are asked in lower case; a
 * header sent more than once reads as its values joined with ", ", as `Headers.get` does.
 */
export interface RequestHeaders {
  get(name: string): string | null;
}

/** At most this many query parameters, each name and value at most `MAX_PARAM_LENGTH`. */
export const MAX_QUERY_PARAMS = 32;
export const MAX_PARAM_LENGTH = 1024;
/** Longest raw request target considered at all (the decoded path has its own, smaller bound). */
const MAX_RAW_PATH_LENGTH = 8192;

/**
 * The request's path exactly as the client sent it, still percent-encoded. `rawUrl` is
 * the request target from the HTTP server (Node's `IncomingMessage.url`); WHATWG `URL`
 * parsing would already have resolved `..` and `%2e%2e`, which must be refused, not
 * resolved. Without it (in-process calls), the parsed URL's path is used.
 */
export function rawPathOf(requestUrl: string, rawUrl: string | undefined): string {
  let target = rawUrl ?? requestUrl;
  if (!target.startsWith('/')) {
    // absolute-form ("http://host/path") or a full URL: drop scheme and authority.
    const schemeEnd = target.indexOf('://');
    const pathStart = schemeEnd === -1 ? -1 : target.indexOf('/', schemeEnd + 3);
    target = pathStart === -1 ? '/' : target.slice(pathStart);
  }
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  if (path.length > MAX_RAW_PATH_LENGTH) throw new GatewayError('ERR_PATH_TOO_LONG', 'request path is too long');
  return path;
}

/**
 * The query string as a flat map. Refuses repeated names (ambiguous), too many
 * parameters and overlong names or values, each with `ERR_BAD_REQUEST`.
 */
export function parseQuery(requestUrl: string): Record<string, string> {
  const q = requestUrl.indexOf('?');
  if (q === -1) return {};
  const search = requestUrl.slice(q + 1);
  if (search.length > MAX_QUERY_PARAMS * (MAX_PARAM_LENGTH * 2 + 2)) {
    throw new GatewayError('ERR_BAD_REQUEST', 'query string is too long');
  }
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  let count = 0;
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(search);
  } catch {
    throw new GatewayError('ERR_BAD_REQUEST', 'malformed query string');
  }
  for (const [name, value] of params) {
    if (++count > MAX_QUERY_PARAMS) throw new GatewayError('ERR_BAD_REQUEST', `at most ${MAX_QUERY_PARAMS} query parameters are allowed`);
    if (name.length > MAX_PARAM_LENGTH || value.length > MAX_PARAM_LENGTH) {
      throw new GatewayError('ERR_BAD_REQUEST', `query parameters are limited to ${MAX_PARAM_LENGTH} characters`);
    }
    if (Object.hasOwn(out, name)) throw new GatewayError('ERR_BAD_REQUEST', `query parameter "${safeName(name)}" is repeated`);
    out[name] = value;
  }
  return { ...out };
}

/**
 * Removes a boolean flag (`?list`, `?list=true`, `?list=1`) from `query` and reports it.
 * `false`/`0` count as absent; any other value is `ERR_BAD_REQUEST`.
 */
export function takeFlag(query: Record<string, string>, name: string): boolean {
  if (!Object.hasOwn(query, name)) return false;
  const value = query[name];
  delete query[name];
  if (value === '' || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new GatewayError('ERR_BAD_REQUEST', `query parameter "${name}" must be true or false`);
}

export interface BodyLimits {
  maxBodyBytes: number;
  maxJsonDepth: number;
}

const JSON_TYPES = new Set(['application/json', 'application/merge-patch+json']);

/**
 * Reads a JSON-object body under the limits. An empty body is `{}`. Throws
 * `ERR_BODY_TOO_LARGE` (413, checked against Content-Length first and then while
 * streaming, so an oversized body is never buffered whole), `ERR_UNSUPPORTED_MEDIA_TYPE`
 * (415) for a non-JSON Content-Type, `ERR_INVALID_JSON` for bad UTF-8 or JSON or a
 * non-object, and `ERR_JSON_TOO_DEEP`.
 */
export async function readJsonBody(request: Request, limits: BodyLimits): Promise<JsonObject> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limits.maxBodyBytes) throw tooLarge(limits.maxBodyBytes);
  const bytes = await readStreamBounded(request.body, limits.maxBodyBytes);
  if (bytes === null) throw tooLarge(limits.maxBodyBytes);
  if (bytes.length === 0) return {};
  const contentType = request.headers.get('content-type');
  if (contentType !== null) {
    const [mediaType = '', ...parameters] = contentType.split(';').map((s) => s.trim().toLowerCase());
    if (!JSON_TYPES.has(mediaType) && !(mediaType.startsWith('application/') && mediaType.endsWith('+json'))) {
      throw new GatewayError('ERR_UNSUPPORTED_MEDIA_TYPE', 'request bodies must be JSON: send Content-Type: application/json');
    }
    const charset = parameters.find((p) => p.startsWith('charset='));
    if (charset !== undefined && charset.replace(/^charset="?|"$/g, '') !== 'utf-8') {
      throw new GatewayError('ERR_UNSUPPORTED_MEDIA_TYPE', 'request bodies must be UTF-8');
    }
  }
  let text: string;
  try {
    text = fromUtf8(bytes);
  } catch {
    throw new GatewayError('ERR_INVALID_JSON', 'request body is not valid UTF-8');
  }
  return parseJsonObject(text, limits.maxJsonDepth);
}

function tooLarge(max: number): GatewayError {
  return new GatewayError('ERR_BODY_TOO_LARGE', `request body exceeds the limit of ${max} bytes`);
}

/**
 * The client token from `Authorization: Bearer …` or `X-Vault-Token`, or null. Two
 * different tokens in one request are refused with `ERR_BAD_REQUEST` rather than guessed.
 */
export function tokenFrom(headers: RequestHeaders): string | null {
  const vault = headers.get('x-vault-token');
  const authorization = headers.get('authorization');
  let bearer: string | null = null;
  if (authorization !== null) {
    const match = /^bearer\s+(\S+)\s*$/i.exec(authorization);
    bearer = match?.[1] ?? '';
  }
  if (vault !== null && bearer !== null && vault !== bearer) {
    throw new GatewayError('ERR_BAD_REQUEST', 'send the token in one header: Authorization or X-Vault-Token');
  }
  return vault ?? bearer;
}

/** `If-Match` / `If-None-Match` as lists of unquoted entity tags (`*` kept as `*`; weak tags keep `W/`). */
export function preconditionsFrom(headers: RequestHeaders): Preconditions {
  const out: Preconditions = {};
  const ifMatch = headers.get('if-match');
  const ifNoneMatch = headers.get('if-none-match');
  if (ifMatch !== null) out.ifMatch = parseEtags(ifMatch);
  if (ifNoneMatch !== null) out.ifNoneMatch = parseEtags(ifNoneMatch);
  return out;
}

function parseEtags(value: string): string[] {
  const trimmed = value.trim();
  if (trimmed === '*') return ['*'];
  const tags = trimmed
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '')
    .slice(0, 32)
    .map((t) => {
      const weak = t.startsWith('W/');
      const body = weak ? t.slice(2) : t;
      const unquoted = body.startsWith('"') && body.endsWith('"') && body.length >= 2 ? body.slice(1, -1) : body;
      return weak ? `W/${unquoted}` : unquoted;
    });
  if (tags.length === 0) throw new GatewayError('ERR_BAD_REQUEST', 'malformed entity tag list');
  return tags;
}

function safeName(name: string): string {
  return name.replace(/[^\w.-]/g, '?').slice(0, 64);
}
