/**
 * The audit record: what happened, who did it, from where, with every data value HMAC'd
 * (`hmac.ts`). One event becomes one record per device (each device has its own HMAC key
 * and chain). Field names are documented in docs/audit.md; SIEM mappings read them.
 */

import type { JsonObject, JsonValue, Principal, SafeJsonObject, SafeJsonValue } from '../core/index.js';
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
 * The record without its chain fields (`device`, `segment`, `seq`, `prev_hash`, `hash`), HMAC'd
 * for one device. Synchronous when the device's HMAC is (Node), so a record costs no promise;
 * a fresh object every time (the chain takes it over).
 */
export function buildRecord(event: AuditEvent, hmacer: Hmacer, logRaw: boolean): JsonObject | Promise<JsonObject> {
  const hashData = (d: SafeJsonValue | undefined): JsonValue | Promise<JsonValue> => (logRaw ? rawData(d) : hmacer.dataNow(d));
  const principal = event.principal;
  const accessor = principal?.accessor === undefined ? null : logRaw ? principal.accessor : hmacer.identifierNow(principal.accessor);
  const requestData = hashData(event.requestData);
  const params = hashData({ ...event.params });
  const responseData = event.type === 'response' ? hashData(event.responseData) : null;
  if (accessor instanceof Promise || requestData instanceof Promise || params instanceof Promise || responseData instanceof Promise) {
    return Promise.all([accessor, requestData, params, responseData]).then(([a, q, p, r]) => assemble(event, a, q, p, r));
  }
  return assemble(event, accessor, requestData, params, responseData);
}

function assemble(event: AuditEvent, accessorHmac: string | null, requestData: JsonValue, params: JsonValue, responseData: JsonValue): JsonObject {
  const principal = event.principal;
  const record: JsonObject = {
    type: event.type,
    time: isoTime(event.time),
    request_id: event.requestId,
    operation: event.operation,
    path: event.path,
    mount: event.mount === null ? null : { path: event.mount.path, type: event.mount.type },
    client_address: event.clientAddress,
    auth:
      principal === null
        ? null
        : {
            accessor_hmac: accessorHmac,
            principal_id: principal.id,
            display_name: principal.displayName,
            policies: [...principal.policies],
            metadata: { ...(principal.metadata ?? {}) },
            entity_id: principal.entity?.id ?? null,
          },
    request: { data: requestData, params },
  };
  if (event.cache !== undefined) record.cache = event.cache;
  if (event.type === 'response') {
    record.response = { status: event.status ?? null, data: responseData };
    if (event.error !== undefined) record.error = { code: event.error };
  }
  return record;
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
