/**
 * Audit HMAC: every value in request and response data (strings, numbers and booleans
 * alike; `Sensitive` values revealed first) becomes `hmac-sha256:<hex>` under the device's
 * key. Keys of objects stay readable, as in Vault, so a record still shows which fields a
 * request touched. An operator who knows a value can compute its HMAC with
 * `POST /api/v1/sys/audit-hash/{device}` and search for it.
 */

import { Sensitive, toHex, utf8 } from '../core/index.js';
import type { JsonValue, Runtime, SafeJsonValue } from '../core/index.js';

export const HMAC_PREFIX = 'hmac-sha256:';
/** Deeper structures are cut (and marked) rather than walked: records stay bounded. */
const MAX_DEPTH = 64;

export interface Hmacer {
  /** `hmac-sha256:<hex>` of a scalar's text (a number's or boolean's JSON text). */
  value(value: string | number | boolean): Promise<string>;
  /** A copy of `data` with every scalar HMAC'd, at any depth; `null` stays `null`. */
  data(data: SafeJsonValue | undefined): Promise<JsonValue>;
}

/** An HMAC'er over a device key (imported once). */
export async function createHmacer(key: Uint8Array, runtime: Pick<Runtime, 'subtle'>): Promise<Hmacer> {
  const cryptoKey = await runtime.subtle.importKey('raw', new Uint8Array(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const value = async (v: string | number | boolean): Promise<string> => {
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    return HMAC_PREFIX + toHex(new Uint8Array(await runtime.subtle.sign('HMAC', cryptoKey, utf8(text))));
  };
  const walk = async (v: SafeJsonValue | undefined, depth: number): Promise<JsonValue> => {
    if (v === undefined || v === null) return null;
    if (v instanceof Sensitive) return walk(v.reveal(), depth);
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return value(v);
    if (depth >= MAX_DEPTH) return '[too deep]';
    if (Array.isArray(v)) return Promise.all(v.map((item) => walk(item, depth + 1)));
    const out: Record<string, JsonValue> = {};
    for (const [k, item] of Object.entries(v)) out[k] = await walk(item, depth + 1);
    return out;
  };
  return { value, data: (d) => walk(d, 0) };
}

/** The same walk without hashing: only for `log_raw` devices (debugging), `Sensitive` revealed. */
export function rawData(v: SafeJsonValue | undefined): JsonValue {
  if (v === undefined || v === null) return null;
  if (v instanceof Sensitive) return rawData(v.reveal());
  if (typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((item) => rawData(item));
  const out: Record<string, JsonValue> = {};
  for (const [k, item] of Object.entries(v)) out[k] = rawData(item);
  return out;
}
