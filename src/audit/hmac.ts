/**
 * Audit HMAC: every value in request and response data (strings, numbers and booleans
 * alike; `Sensitive` values revealed first) becomes `hmac-sha256:<hex>` under the device's
 * key. Keys of objects stay readable, as in Vault, so a record still shows which fields a
 * request touched. An operator who knows a value can compute its HMAC with
 * `POST /api/v1/sys/audit-hash/{device}` and search for it.
 */

import { Sensitive, setOwn } from '../core/index.js';
import type { JsonValue, Runtime, SafeJsonValue } from '../core/index.js';
import { createWebAuditDigests } from './digests.js';
import type { AuditDigests } from './digests.js';

export const HMAC_PREFIX = 'hmac-sha256:';
/** Deeper structures are cut (and marked) rather than walked: records stay bounded. */
const MAX_DEPTH = 64;

export interface Hmacer {
  /** `hmac-sha256:<hex>` of a scalar's text (a number's or boolean's JSON text). */
  value(value: string | number | boolean): Promise<string>;
  /**
   * `value` for identifiers that repeat from request to request (a token's accessor), from a
   * bounded memo. Never for data: a memo keyed by a value keeps that value in memory.
   */
  identifier(value: string): Promise<string>;
  /**
   * A copy of `data` with every scalar HMAC'd, at any depth; `null` stays `null`. A deeply
   * frozen object (a read-cache answer, the same object on every hit) is HMAC'd once: its
   * result is remembered for as long as the object lives (a WeakMap), and frozen too.
   */
  data(data: SafeJsonValue | undefined): Promise<JsonValue>;
  /** `identifier`, synchronous when the digest is (Node): the record builder's hot path. */
  identifierNow(value: string): string | Promise<string>;
  /**
   * `JSON.stringify` of `data(data)`, synchronous when the digest is (Node): the record builder's hot path. For a deeply frozen
   * object the text is remembered with the HMAC'd copy (a cache hit's answer: the same text
   * on every hit).
   */
  dataJsonNow(data: SafeJsonValue | undefined): string | Promise<string>;
}

/** Identifiers remembered per device key; the memo starts over when full. */
const MAX_IDENTIFIERS = 4096;

const isPromise = <T>(v: T | Promise<T>): v is Promise<T> => v instanceof Promise;

/**
 * An HMAC'er over a device key, imported once. `digests` defaults to WebCrypto; the Node
 * entry passes `node:crypto`'s (synchronous, same output), and the walk then allocates no
 * promise per value.
 */
export async function createHmacer(key: Uint8Array, runtime: Pick<Runtime, 'subtle'>, digests: AuditDigests = createWebAuditDigests(runtime.subtle)): Promise<Hmacer> {
  const mac = await digests.hmacSha256(key);
  const valueNow = (v: string | number | boolean): string | Promise<string> => {
    const hex = mac(typeof v === 'string' ? v : JSON.stringify(v));
    return isPromise(hex) ? hex.then((h) => HMAC_PREFIX + h) : HMAC_PREFIX + hex;
  };
  const walk = (v: SafeJsonValue | undefined, depth: number): JsonValue | Promise<JsonValue> => {
    if (v === undefined || v === null) return null;
    if (v instanceof Sensitive) return walk(v.reveal(), depth);
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return valueNow(v);
    if (depth >= MAX_DEPTH) return '[too deep]';
    if (Array.isArray(v)) {
      const items = v.map((item) => walk(item, depth + 1));
      return items.some(isPromise) ? Promise.all(items) : (items as JsonValue[]);
    }
    const out: Record<string, JsonValue> = {};
    let waits: Promise<void>[] | null = null;
    for (const [k, item] of Object.entries(v)) {
      const hashed = walk(item, depth + 1);
      if (isPromise(hashed)) {
        setOwn(out, k, null); // keeps the key order of `v`; filled in below
        (waits ??= []).push(hashed.then((h) => setOwn(out, k, h)));
      } else setOwn(out, k, hashed);
    }
    return waits === null ? out : Promise.all(waits).then(() => out);
  };

  const remembered = new WeakMap<object, Remembered>();
  const remember = (d: object & SafeJsonValue, result: JsonValue): Remembered | JsonValue => {
    // Only deeply frozen objects are remembered, so what is remembered can never change.
    if (!isDeeplyFrozen(d, 0)) return result;
    const entry = new Remembered(deepFreeze(result));
    remembered.set(d, entry);
    return entry;
  };
  const isRemembered = (v: Remembered | JsonValue): v is Remembered => v instanceof Remembered;
  /** The remembered entry of a frozen object, computing it (or the plain HMAC'd copy of anything else). */
  const lookup = (d: SafeJsonValue | undefined): Remembered | JsonValue | Promise<Remembered | JsonValue> => {
    if (typeof d !== 'object' || d === null || d instanceof Sensitive || !Object.isFrozen(d)) return walk(d, 0);
    const known = remembered.get(d);
    if (known !== undefined) return known;
    const result = walk(d, 0);
    return isPromise(result) ? result.then((r) => remember(d, r)) : remember(d, result);
  };
  const dataNow = (d: SafeJsonValue | undefined): JsonValue | Promise<JsonValue> => {
    const found = lookup(d);
    if (isPromise(found)) return found.then((f) => (isRemembered(f) ? f.value : f));
    return isRemembered(found) ? found.value : found;
  };
  const textOf = (found: Remembered | JsonValue): string => {
    if (!isRemembered(found)) return JSON.stringify(found);
    found.json ??= JSON.stringify(found.value);
    return found.json;
  };
  const dataJsonNow = (d: SafeJsonValue | undefined): string | Promise<string> => {
    // Most requests carry no data and no parameters.
    if (isEmptyObject(d)) return '{}';
    const found = lookup(d);
    return isPromise(found) ? found.then(textOf) : textOf(found);
  };

  const identifiers = new Map<string, string>();
  const keep = (v: string, hashed: string): string => {
    if (identifiers.size >= MAX_IDENTIFIERS) identifiers.clear();
    identifiers.set(v, hashed);
    return hashed;
  };
  const identifierNow = (v: string): string | Promise<string> => {
    const known = identifiers.get(v);
    if (known !== undefined) return known;
    const hashed = valueNow(v);
    return isPromise(hashed) ? hashed.then((h) => keep(v, h)) : keep(v, hashed);
  };

  return {
    value: async (v) => valueNow(v),
    identifier: async (v) => identifierNow(v),
    data: async (d) => dataNow(d),
    identifierNow,
    dataJsonNow,
  };
}

/** A remembered HMAC'd copy (deeply frozen) and, once asked for, its JSON text. */
class Remembered {
  json: string | null = null;
  constructor(readonly value: JsonValue) {}
}

/** A plain object with no own keys (not an array, not a `Sensitive`). */
function isEmptyObject(v: SafeJsonValue | undefined): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Sensitive) return false;
  for (const key in v) if (Object.hasOwn(v, key)) return false;
  return true;
}

/** Whether every object and array in `v` (inside `Sensitive` values too) is frozen. */
function isDeeplyFrozen(v: SafeJsonValue | undefined, depth: number): boolean {
  if (v instanceof Sensitive) return isDeeplyFrozen(v.reveal(), depth);
  if (typeof v !== 'object' || v === null) return true;
  if (depth >= MAX_DEPTH || !Object.isFrozen(v)) return false;
  return Object.values(v).every((item) => isDeeplyFrozen(item, depth + 1));
}

function deepFreeze(v: JsonValue): JsonValue {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    for (const item of Object.values(v)) deepFreeze(item);
    Object.freeze(v);
  }
  return v;
}

/** The same walk without hashing: only for `log_raw` devices (debugging), `Sensitive` revealed. */
export function rawData(v: SafeJsonValue | undefined): JsonValue {
  if (v === undefined || v === null) return null;
  if (v instanceof Sensitive) return rawData(v.reveal());
  if (typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((item) => rawData(item));
  const out: Record<string, JsonValue> = {};
  for (const [k, item] of Object.entries(v)) setOwn(out, k, rawData(item));
  return out;
}
