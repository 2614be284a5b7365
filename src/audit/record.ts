/**
 * The audit record: what happened, who did it, from where, with every data value HMAC'd
 * (`hmac.ts`). One event becomes one record per device (each device has its own HMAC key
 * and chain). Field names are documented in docs/audit.md; SIEM mappings read them.
 */

import type { Principal, SafeJsonObject, SafeJsonValue } from '../core/index.js';
import { isPlainJsonString } from '../core/index.js';
import { rawData } from './hmac.js';
import type { Hmacer } from './hmac.js';

/** What the gateway reports to the broker, once for the request and once for the response. */
export interface AuditEvent {
  type: 'request' | 'response';
  /** ms since the epoch. */
  time: number;
  requestId: string;
  /** `read`, `update`, `login`, … */
  operation: string;
  /** The policy path the request was authorized on (or would have been). */
  path: string;
  mount: { path: string; type: string } | null;
  clientAddress: string | null;
  /** The caller, when known (null before authentication and for failed logins). */
  principal: Principal | null;
  requestData: SafeJsonObject;
  params: Readonly<Record<string, string>>;
  /** Response data (or a login's auth envelope); response events only. */
  responseData?: SafeJsonValue;
  /** HTTP status of the answer; response events only. */
  status?: number;
  /** Stable error code when the request failed. */
  error?: string;
  /**
   * How the read cache took part (docs/cache.md): on a request, `bypass` when the caller
   * asked to skip the cache; on a response, `hit`, `miss`, `coalesced`, `stale` or `bypass`.
   * Absent when the cache was not consulted. Not secret: recorded in clear.
   */
  cache?: 'hit' | 'miss' | 'coalesced' | 'stale' | 'bypass';
}

/**
 * The record's JSON text without its chain fields (`device`, `segment`, `seq`, `prev_hash`,
 * `hash`), HMAC'd for one device: exactly what `JSON.stringify` gives for the record object
 * (the fields in the order docs/audit.md lists them), which the chain extends and hashes and
 * the verifier recomputes. Built from pieces rather than one `JSON.stringify` of a fresh
 * object: on Node 20 that costs about 4 µs per record, most of it re-serialising what repeats
 * from record to record (the caller's `auth` block, a cached answer's HMAC'd data), which is
 * remembered here instead (bench/README.md). Synchronous when the device's HMAC is (Node).
 */
export function buildRecordText(event: AuditEvent, hmacer: Hmacer, logRaw: boolean): string | Promise<string> {
  const dataJson = (d: SafeJsonValue | undefined): string | Promise<string> => (logRaw ? JSON.stringify(rawData(d)) : hmacer.dataJsonNow(d));
  const auth = authJson(event.principal, hmacer, logRaw);
  const requestData = dataJson(event.requestData);
  const params = dataJson(event.params);
  const responseData = event.type === 'response' ? dataJson(event.responseData) : 'null';
  if (auth instanceof Promise || requestData instanceof Promise || params instanceof Promise || responseData instanceof Promise) {
    return Promise.all([auth, requestData, params, responseData]).then(([a, q, p, r]) => assemble(event, middle(event, a, q, p), r));
  }
  return assemble(event, middle(event, auth, requestData, params), responseData);
}

/**
 * A request's and its response's record texts (a cache hit's pair), each exactly what
 * `buildRecordText` gives. The fields the two share (id, operation, path, mount, client,
 * `auth`, `request`) are serialised once when the response event carries the request's
 * values (the pipeline builds it so); otherwise each is built on its own.
 */
export function buildPairTexts(request: AuditEvent, response: AuditEvent, hmacer: Hmacer, logRaw: boolean): [string, string] | Promise<[string, string]> {
  if (
    request.type !== 'request' ||
    response.type !== 'response' ||
    response.requestId !== request.requestId ||
    response.operation !== request.operation ||
    response.path !== request.path ||
    response.mount !== request.mount ||
    response.clientAddress !== request.clientAddress ||
    response.principal !== request.principal ||
    response.requestData !== request.requestData ||
    response.params !== request.params
  ) {
    const first = buildRecordText(request, hmacer, logRaw);
    const second = buildRecordText(response, hmacer, logRaw);
    return first instanceof Promise || second instanceof Promise ? Promise.all([first, second]) : [first, second];
  }
  const shared = buildRecordText(request, hmacer, logRaw);
  const responseData = logRaw ? JSON.stringify(rawData(response.responseData)) : hmacer.dataJsonNow(response.responseData);
  const pair = (requestText: string, data: string): [string, string] => {
    // The request's text is its head, the shared middle, its cache field if any, and "}".
    const head = recordHead(request);
    const tail = request.cache === undefined ? 1 : cacheField(request.cache).length + 1;
    return [requestText, assemble(response, requestText.slice(head.length, requestText.length - tail), data)];
  };
  return shared instanceof Promise || responseData instanceof Promise ? Promise.all([shared, responseData]).then(([t, d]) => pair(t, d)) : pair(shared, responseData);
}

/** The fields every record has, after `type` and `time`, up to and including `request`. */
function middle(event: AuditEvent, auth: string, requestData: string, params: string): string {
  const mount = event.mount === null ? 'null' : `{"path":${jsonString(event.mount.path)},"type":${jsonString(event.mount.type)}}`;
  return (
    `,"request_id":${jsonString(event.requestId)},"operation":${jsonString(event.operation)}` +
    `,"path":${jsonString(event.path)},"mount":${mount},"client_address":${nullableString(event.clientAddress)},"auth":${auth}` +
    `,"request":{"data":${requestData},"params":${params}}`
  );
}

/** A record's opening: `type` and `time`. */
function recordHead(event: AuditEvent): string {
  return `{"type":${jsonString(event.type)},"time":"${isoTime(event.time)}"`;
}

function cacheField(cache: NonNullable<AuditEvent['cache']>): string {
  return `,"cache":${jsonString(cache)}`;
}

function assemble(event: AuditEvent, shared: string, responseData: string): string {
  let text = recordHead(event) + shared;
  if (event.cache !== undefined) text += cacheField(event.cache);
  if (event.type === 'response') {
    text += `,"response":{"status":${jsonNumber(event.status)},"data":${responseData}}`;
    if (event.error !== undefined) text += `,"error":{"code":${jsonString(event.error)}}`;
  }
  return `${text}}`;
}

/** What an `auth` block was built from, and its text: one per principal object per device. */
interface AuthMemo {
  accessor: string | undefined;
  id: string;
  displayName: string;
  policies: readonly string[];
  metadata: Readonly<Record<string, string>> | undefined;
  entityId: string | null;
  text: string;
}

/** Per device HMAC key (the accessor's HMAC differs), per principal object (a cached token's is the same object on every request). */
const authMemos = new WeakMap<Hmacer, WeakMap<Principal, AuthMemo>>();

/**
 * The `auth` block's JSON text. Remembered per principal object, and reused only while the
 * fields it was built from are the same values (the policy list and metadata by identity:
 * principals are read-only).
 */
function authJson(principal: Principal | null, hmacer: Hmacer, logRaw: boolean): string | Promise<string> {
  if (principal === null) return 'null';
  const entityId = principal.entity?.id ?? null;
  let memos = logRaw ? undefined : authMemos.get(hmacer);
  const known = memos?.get(principal);
  if (
    known !== undefined &&
    known.accessor === principal.accessor &&
    known.id === principal.id &&
    known.displayName === principal.displayName &&
    known.policies === principal.policies &&
    known.metadata === principal.metadata &&
    known.entityId === entityId
  ) {
    return known.text;
  }
  const build = (accessorHmac: string | null): string => {
    const text =
      `{"accessor_hmac":${nullableString(accessorHmac)},"principal_id":${jsonString(principal.id)},"display_name":${jsonString(principal.displayName)}` +
      `,"policies":${JSON.stringify(principal.policies)},"metadata":${JSON.stringify(principal.metadata ?? {})},"entity_id":${nullableString(entityId)}}`;
    if (!logRaw) {
      if (memos === undefined) {
        memos = new WeakMap();
        authMemos.set(hmacer, memos);
      }
      memos.set(principal, { accessor: principal.accessor, id: principal.id, displayName: principal.displayName, policies: principal.policies, metadata: principal.metadata, entityId, text });
    }
    return text;
  };
  const accessor = principal.accessor === undefined ? null : logRaw ? principal.accessor : hmacer.identifierNow(principal.accessor);
  return accessor instanceof Promise ? accessor.then(build) : build(accessor);
}

/** A string's JSON text, as `JSON.stringify` writes it; most strings here need no escaping. */
function jsonString(s: string): string {
  return isPlainJsonString(s) ? `"${s}"` : JSON.stringify(s);
}

function nullableString(s: string | null): string {
  return s === null ? 'null' : jsonString(s);
}

function jsonNumber(n: number | undefined): string {
  return n === undefined ? 'null' : JSON.stringify(n);
}

/** The last time formatted, reused: under load many records share a millisecond. */
let lastTime = Number.NaN;
let lastIso = '';

/** `new Date(ms).toISOString()`, remembered for the last millisecond asked. */
function isoTime(ms: number): string {
  if (ms !== lastTime) {
    lastIso = new Date(ms).toISOString();
    lastTime = ms;
  }
  return lastIso;
}
