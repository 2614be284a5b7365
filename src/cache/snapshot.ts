/**
 * What the cache keeps of an answer: a deep-frozen copy of the response's containers, with
 * `Sensitive` leaves shared as they are (they are immutable), so one cached answer can be
 * handed to every later reader without copying and nobody can change it for the others.
 */

import { Sensitive, setOwn } from '../core/index.js';
import type { OperationResponse, SafeJsonValue } from '../core/index.js';

function copyValue(value: SafeJsonValue): SafeJsonValue {
  if (value === null || typeof value !== 'object' || value instanceof Sensitive) return value;
  if (Array.isArray(value)) return Object.freeze(value.map(copyValue)) as SafeJsonValue[];
  const out: { [key: string]: SafeJsonValue } = {};
  for (const key of Object.keys(value)) {
    setOwn(out, key, copyValue(value[key] as SafeJsonValue));
  }
  return Object.freeze(out);
}

/** The frozen copy the cache stores: data, metadata, warnings, etag and status; never `cache`, `lease` or `auth`. */
export function snapshot(response: OperationResponse): OperationResponse {
  const out: OperationResponse = {};
  if (response.data !== undefined) out.data = copyValue(response.data) as OperationResponse['data'];
  if (response.metadata !== undefined) out.metadata = copyValue(response.metadata) as OperationResponse['metadata'];
  if (response.warnings !== undefined) out.warnings = Object.freeze([...response.warnings]) as string[];
  if (response.etag !== undefined) out.etag = response.etag;
  if (response.status !== undefined) out.status = response.status;
  return Object.freeze(out);
}

/** Per-object and per-value overheads of V8's representation, roughly; the bound is about memory, not exact bytes. */
const OBJECT_OVERHEAD = 64;
const SLOT = 16;

function sizeOfValue(value: unknown, depth: number): number {
  if (depth > 64) return SLOT;
  if (value instanceof Sensitive) return SLOT + sizeOfValue(value.reveal(), depth + 1);
  if (typeof value === 'string') return SLOT + value.length * 2;
  if (value === null || typeof value !== 'object') return SLOT;
  if (value instanceof Uint8Array) return OBJECT_OVERHEAD + value.byteLength;
  let size = OBJECT_OVERHEAD;
  if (Array.isArray(value)) {
    for (const item of value) size += sizeOfValue(item, depth + 1);
    return size;
  }
  for (const key of Object.keys(value)) size += key.length * 2 + sizeOfValue((value as Record<string, unknown>)[key], depth + 1);
  return size;
}

/**
 * Approximate bytes an entry holds: its key, the response, and one serialised copy (the
 * HTTP face may keep the JSON text of a cached answer beside it, docs/cache.md). Measures the
 * secret values' lengths without copying or logging them.
 */
export function estimateBytes(key: string, response: OperationResponse): number {
  const objectBytes = sizeOfValue(response, 0);
  return key.length * 2 + OBJECT_OVERHEAD + objectBytes * 2;
}
