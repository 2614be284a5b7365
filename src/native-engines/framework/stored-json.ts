/**
 * JSON records in a mount's storage (a barrier view: encrypted and authenticated below), as
 * UTF-8. Failures name what was stored, never its content.
 */

import type { z } from 'zod';
import { GatewayError, check, fromUtf8, utf8 } from '../../core/index.js';
import type { Storage } from '../../core/index.js';

/** Encodes a JSON value for `Storage.put`. */
export function encodeJson(value: unknown): Uint8Array {
  return utf8(JSON.stringify(value));
}

/** Decodes bytes written by `encodeJson`. Throws `ERR_INTERNAL` ("stored <what> is unreadable") when they are not UTF-8 JSON. */
export function decodeJson(bytes: Uint8Array, what: string): unknown {
  try {
    const parsed: unknown = JSON.parse(fromUtf8(bytes));
    return parsed;
  } catch {
    throw new GatewayError('ERR_INTERNAL', `stored ${what} is unreadable`);
  }
}

/** Writes `value` as UTF-8 JSON at `key`. */
export async function saveJson(storage: Pick<Storage, 'put'>, key: string, value: unknown): Promise<void> {
  await storage.put(key, encodeJson(value));
}

/**
 * The record at `key` validated by `schema`, or null when there is none. Throws
 * `ERR_INTERNAL` ("stored <what> is unreadable") when it is not JSON or fails the schema.
 */
export async function loadJson<T>(storage: Pick<Storage, 'get'>, key: string, schema: z.ZodType<T>, what: string): Promise<T | null> {
  const bytes = await storage.get(key);
  if (bytes === null) return null;
  const checked = check(schema, decodeJson(bytes, what));
  if (!checked.ok) throw new GatewayError('ERR_INTERNAL', `stored ${what} is unreadable`);
  return checked.value;
}
