/**
 * Rebuilds the signed GetCallerIdentity request a client sent in its login body, from the
 * parts Keygate allows and nothing else: method POST; the URL exactly the configured STS
 * endpoint (scheme, host, port, path `/`, no query); the body exactly
 * `Action=GetCallerIdentity&Version=2011-06-15`; the headers a SigV4 request needs, the
 * server-id header and any the operator allowed, bounded in number and size. The
 * signature must be SigV4 for `sts` and must cover the server-id header, whose value must
 * equal the configured one (constant-time). Every failure is a `refuse` with a fixed code.
 */

import { constantTimeEqual, fromBase64, fromUtf8, utf8 } from '../../../core/index.js';
import { refuse } from '../login-refusal.js';
import type { ClientConfig } from './client-config.js';
import { SERVER_ID_HEADERS } from './server-id-header.js';
import { parseSigV4Authorization } from './sigv4-authorization.js';

/** The request to forward to STS. */
export interface StsRequest {
  /** The configured endpoint: never the client's URL. */
  url: string;
  headers: Record<string, string>;
  /** The body bytes exactly as signed. */
  body: Uint8Array<ArrayBuffer>;
}

/** What the login body carries, as Vault's clients send it. */
export interface SignedRequestParts {
  iam_http_request_method: string;
  /** Base64 of the URL. */
  iam_request_url: string;
  /** Base64 of the form body. */
  iam_request_body: string;
  /** Base64 of a JSON object of headers, or that object. Values: a string, or a one-element array (Go's `http.Header`). */
  iam_request_headers: string | Readonly<Record<string, string | readonly string[]>>;
}

/** Most headers a login request may carry. */
export const MAX_HEADERS = 24;
/** Longest header value (session tokens are the long ones). */
export const MAX_HEADER_VALUE = 8192;
/** Most bytes of all header names and values together. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** Largest body: the GetCallerIdentity form is 43 bytes. */
const MAX_BODY = 256;
/** How far the signing time may be from ours (STS allows 15 minutes). */
export const MAX_CLOCK_SKEW_MS = 15 * 60_000;

/** Headers a SigV4 POST needs, always forwarded when present. */
const SIGNING_HEADERS = ['authorization', 'content-type', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256'];
/** Headers fetch derives itself: accepted (signed or not) when their value is what fetch will send, never forwarded. */
const DERIVED_HEADERS = new Set(['host', 'content-length']);
/** Headers SDKs add but do not sign: dropped when unsigned. */
const DROPPED_HEADERS = new Set(['user-agent', 'accept-encoding']);

const EXPECTED_BODY: readonly [string, string][] = [
  ['Action', 'GetCallerIdentity'],
  ['Version', '2011-06-15'],
];

function decodeBase64Text(text: string, maxBytes: number): string | null {
  const bytes = fromBase64(text.trim());
  if (bytes === null || bytes.length > maxBytes) return null;
  try {
    return fromUtf8(bytes);
  } catch {
    return null;
  }
}

/** The headers as a map of lower-case name to one value; refuses duplicates, lists, oversize and control characters. */
function readHeaders(raw: SignedRequestParts['iam_request_headers']): Map<string, string> {
  let source: unknown = raw;
  if (typeof raw === 'string') {
    const text = decodeBase64Text(raw, MAX_HEADER_BYTES * 2);
    if (text === null) refuse('headers_malformed');
    try {
      source = JSON.parse(text);
    } catch {
      refuse('headers_malformed');
    }
  }
  if (typeof source !== 'object' || source === null || Array.isArray(source)) refuse('headers_malformed');
  const entries = Object.entries(source);
  if (entries.length > MAX_HEADERS) refuse('headers_oversize');
  const headers = new Map<string, string>();
  let total = 0;
  for (const [name, rawValue] of entries) {
    const value: unknown = Array.isArray(rawValue) ? (rawValue.length === 1 ? rawValue[0] : null) : rawValue;
    if (typeof value !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(name)) refuse('headers_malformed');
    if (value.length > MAX_HEADER_VALUE) refuse('headers_oversize');
    if (!/^[\x20-\x7e\t]*$/.test(value)) refuse('headers_malformed');
    const lower = name.toLowerCase();
    if (headers.has(lower)) refuse('headers_malformed');
    total += name.length + value.length;
    if (total > MAX_HEADER_BYTES) refuse('headers_oversize');
    headers.set(lower, value.trim());
  }
  return headers;
}

function checkUrl(encoded: string, endpoint: URL): void {
  const text = decodeBase64Text(encoded, 2048);
  if (text === null) refuse('url_not_allowed');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    refuse('url_not_allowed');
  }
  if (
    url.origin !== endpoint.origin ||
    url.protocol !== endpoint.protocol ||
    url.pathname !== '/' ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== ''
  ) {
    refuse('url_not_allowed');
  }
}

function checkBody(encoded: string): Uint8Array<ArrayBuffer> {
  const bytes = fromBase64(encoded.trim());
  if (bytes === null || bytes.length > MAX_BODY) refuse('body_not_allowed');
  let text: string;
  try {
    text = fromUtf8(bytes);
  } catch {
    refuse('body_not_allowed');
  }
  if (!/^[A-Za-z0-9=&._%-]+$/.test(text)) refuse('body_not_allowed');
  const entries = [...new URLSearchParams(text)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const matches =
    entries.length === EXPECTED_BODY.length && entries.every(([k, v], i) => k === EXPECTED_BODY[i]?.[0] && v === EXPECTED_BODY[i]?.[1]);
  if (!matches) refuse('body_not_allowed');
  return bytes;
}

/** `20240101T120000Z` as ms since the epoch, or null. */
function amzDate(text: string): number | null {
  const m = /^([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z$/.exec(text);
  if (m === null) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isNaN(ms) ? null : ms;
}

/**
 * Checks the signed request parts against `config` at time `nowMs` and returns the request
 * to forward. Throws `LoginRefusal` (via `refuse`) for anything not allowed.
 */
export function buildStsRequest(parts: SignedRequestParts, config: ClientConfig, nowMs: number): StsRequest {
  if (parts.iam_http_request_method !== 'POST') refuse('method_not_allowed');
  const endpoint = new URL(config.sts_endpoint);
  checkUrl(parts.iam_request_url, endpoint);
  const body = checkBody(parts.iam_request_body);
  const headers = readHeaders(parts.iam_request_headers);

  const allowed = new Set([...SIGNING_HEADERS, ...SERVER_ID_HEADERS, ...config.allowed_sts_header_values]);
  const authorization = parseSigV4Authorization(headers.get('authorization') ?? '');
  if (authorization === null) refuse('authorization_malformed');
  if (authorization.service !== 'sts' || (config.sts_region !== '' && authorization.region !== config.sts_region)) {
    refuse('credential_scope');
  }
  const signed = new Set(authorization.signedHeaders);

  const forwarded: Record<string, string> = {};
  for (const [name, value] of headers) {
    if (name === 'host') {
      if (value.toLowerCase() !== endpoint.host) refuse('host_mismatch');
    } else if (name === 'content-length') {
      if (value !== String(body.length)) refuse('headers_malformed');
    } else if (allowed.has(name)) {
      forwarded[name] = value;
    } else if (!DROPPED_HEADERS.has(name) || signed.has(name)) {
      refuse('header_not_allowed');
    }
  }
  for (const name of signed) {
    // STS needs every signed header; `host` may be left for fetch to derive from the URL.
    if (name !== 'host' && (!headers.has(name) || !(allowed.has(name) || DERIVED_HEADERS.has(name)))) refuse('signed_header_missing');
  }

  const present = SERVER_ID_HEADERS.filter((name) => headers.has(name));
  if (present.length !== 1) refuse('server_id_missing');
  const serverIdName = present[0] ?? '';
  if (!signed.has(serverIdName)) refuse('server_id_unsigned');
  if (!constantTimeEqual(utf8(headers.get(serverIdName) ?? ''), utf8(config.iam_server_id_header_value))) refuse('server_id_mismatch');

  const signedAt = amzDate(headers.get('x-amz-date') ?? '');
  if (signedAt === null || !signed.has('x-amz-date') || Math.abs(nowMs - signedAt) > MAX_CLOCK_SKEW_MS) refuse('request_date');
  const contentType = headers.get('content-type');
  if (contentType !== undefined && !/^application\/x-www-form-urlencoded(;\s*charset=utf-8)?$/i.test(contentType)) refuse('content_type');

  return { url: config.sts_endpoint, headers: forwarded, body };
}
