/**
 * JSON Schema for operation inputs and outputs, generated from the zod schemas with zod 4's
 * `z.toJSONSchema` and memoised per schema (generation walks the whole schema, and help and
 * OpenAPI ask for the same ones repeatedly).
 */

import { z } from 'zod';
import { cloneJson } from '../../core/index.js';
import type { JsonObject, JsonValue } from '../../core/index.js';

/** Which side of a schema to describe: what a client sends (`input`) or receives (`output`). */
export type SchemaSide = 'input' | 'output';

/** Generated schemas are small; this only guards the copy below against a runaway structure. */
const MAX_DEPTH = 64;

const memo: Record<SchemaSide, WeakMap<z.ZodType, JsonObject>> = {
  input: new WeakMap(),
  output: new WeakMap(),
};

// z.toJSONSchema's result is typed loosely; copying it checks that it is plain JSON, so the
// gateway can embed it without casts.
function toJson(value: unknown, depth: number): JsonValue | undefined {
  if (depth > MAX_DEPTH) throw new TypeError('generated JSON Schema nests too deeply');
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (Array.isArray(value)) {
    const out: JsonValue[] = [];
    for (const item of value) out.push(toJson(item, depth + 1) ?? null);
    return out;
  }
  if (typeof value === 'object') {
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      const copied = toJson(item, depth + 1);
      if (copied !== undefined) out[key] = copied;
    }
    return out;
  }
  return undefined;
}

/**
 * The JSON Schema (draft 2020-12, without `$schema`, so it embeds in an OpenAPI document;
 * recursive parts stay in a local `$defs`) of `schema`, or null when there is none. Parts
 * JSON Schema cannot express (transforms, custom checks) become `{}` rather than failing.
 * Each call returns a fresh copy, so a caller may rewrite it.
 */
export function jsonSchemaOf(schema: z.ZodType | null, side: SchemaSide): JsonObject | null {
  if (schema === null) return null;
  const cached = memo[side].get(schema);
  if (cached !== undefined) return cloneJson(cached);
  const copied = toJson(z.toJSONSchema(schema, { io: side, unrepresentable: 'any' }), 0);
  const generated: JsonObject = typeof copied === 'object' && copied !== null && !Array.isArray(copied) ? copied : {};
  delete generated.$schema;
  memo[side].set(schema, generated);
  return cloneJson(generated);
}
