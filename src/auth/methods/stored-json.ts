/**
 * JSON records in an auth mount's storage (a barrier view: encrypted and authenticated
 * below). A stored record is re-validated with its schema on every load; a record that
 * fails is reported as `ERR_INTERNAL` naming only what it was, never its content.
 */

import { GatewayError, check, fromUtf8, utf8 } from '../../core/index.js';
import type { Storage } from '../../core/index.js';
import type { z } from 'zod';

/** Writes `value` as UTF-8 JSON at `key`. */
export async function saveJson(storage: Pick<Storage, 'put'>, key: string, value: unknown): Promise<void> {
  await storage.put(key, utf8(JSON.stringify(value)));
}

/**
 * The record at `key` validated by `schema`, or null when there is none. Throws
 * `ERR_INTERNAL` ("stored <what> is unreadable") when it is not JSON or fails the schema.
 */
export async function loadJson<T>(storage: Pick<Storage, 'get'>, key: string, schema: z.ZodType<T>, what: string): Promise<T | null> {
  const bytes = await storage.get(key);
  if (bytes === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromUtf8(bytes));
  } catch {
    throw new GatewayError('ERR_INTERNAL', `stored ${what} is unreadable`);
  }
  const checked = check(schema, parsed);
  if (!checked.ok) throw new GatewayError('ERR_INTERNAL', `stored ${what} is unreadable`);
  return checked.value;
}
