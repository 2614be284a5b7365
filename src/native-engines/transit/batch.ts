/**
 * `batch_input`, as Vault batches encrypt, decrypt, rewrap, sign, verify and HMAC: each item
 * is validated and processed on its own, and a bad item gets an `error` string in its result
 * while the others succeed; the request as a whole answers 200. Item errors come from the
 * same fixed reasons as whole-request errors, so they never contain a submitted value.
 */

import { z } from 'zod';
import { check, isGatewayError } from '../../core/index.js';
import type { FieldIssue, SafeJsonObject } from '../../core/index.js';
import { fieldError } from './field-error.js';

/** Most items one batch may hold. */
export const MAX_BATCH_ITEMS = 1000;

/** Schema of `batch_input`: 1 to 1,000 items, each validated separately by the operation. */
export const batchInputSchema = z
  .array(z.unknown())
  .min(1)
  .max(MAX_BATCH_ITEMS)
  .describe(`Up to ${MAX_BATCH_ITEMS} items processed independently; results come back in order in batch_results, a failed item carrying "error".`);

function summary(issues: readonly FieldIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.field} ${issue.reason}`)
    .join('; ');
}

function referenceOf(item: unknown): string {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return '';
  const reference: unknown = Reflect.get(item, 'reference');
  return typeof reference === 'string' && reference.length <= 256 ? reference : '';
}

/**
 * Runs `run` on each item that passes `schema`, concurrently, and returns one result per
 * item, in order, each with `reference`. An item that fails validation, or whose `run`
 * throws an exposed `GatewayError`, gets `{ error, reference }`; any other error (a bug,
 * storage down) fails the whole request, as a partial answer would hide it.
 */
export async function runBatch<T>(
  items: readonly unknown[],
  schema: z.ZodType<T>,
  run: (item: T) => Promise<SafeJsonObject>,
): Promise<SafeJsonObject[]> {
  return Promise.all(
    items.map(async (raw): Promise<SafeJsonObject> => {
      const reference = referenceOf(raw);
      const checked = check(schema, raw);
      if (!checked.ok) return { error: summary(checked.issues), reference };
      try {
        return { ...(await run(checked.value)), reference };
      } catch (err) {
        if (isGatewayError(err) && err.expose && err.status < 500 && err.status !== 404) return { error: err.message, reference };
        throw err;
      }
    }),
  );
}

/** Refuses single-item fields next to `batch_input`, so a request never means two things. */
export function refuseMixedBatch(body: Readonly<Record<string, unknown>>, singleFields: readonly string[]): void {
  for (const field of singleFields) {
    if (body[field] !== undefined) throw fieldError(field, 'must not be given with batch_input: put it in each batch item');
  }
}
