/** Bounded JSON handling shared by the gateway and the engines. */

import { GatewayError } from './errors.js';
import type { JsonObject, JsonValue } from './types.js';

/** Default nesting bound for request bodies (ARCHITECTURE.md: bound every loop). */
export const DEFAULT_MAX_JSON_DEPTH = 32;

/**
 * The nesting depth of JSON text, measured without parsing it into objects (a scan over
 * brackets outside strings), so a hostile document cannot exhaust the stack. A scalar has
 * depth 0, `{}` depth 1. Stops early once `limit` is exceeded and returns `limit + 1`.
 */
export function jsonDepth(text: string, limit = Number.MAX_SAFE_INTEGER): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return max;
}

/**
 * Parses a request body that must be a JSON object. Throws `ERR_JSON_TOO_DEEP` past
 * `maxDepth` and `ERR_INVALID_JSON` for malformed text or a non-object top level. The
 * error never quotes the input.
 */
export function parseJsonObject(text: string, maxDepth = DEFAULT_MAX_JSON_DEPTH): JsonObject {
  if (jsonDepth(text, maxDepth) > maxDepth) {
    throw new GatewayError('ERR_JSON_TOO_DEEP', `JSON nesting exceeds the limit of ${maxDepth}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GatewayError('ERR_INVALID_JSON', 'request body is not valid JSON');
  }
  if (!isJsonObject(value)) {
    throw new GatewayError('ERR_INVALID_JSON', 'request body must be a JSON object');
  }
  return value;
}

/** True for a plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep-copies JSON data (structured, no prototype surprises). */
export function cloneJson<T extends JsonValue>(value: T): T {
  return structuredClone(value);
}

/**
 * `target[key] = value` as an own, enumerable member whatever `key` is. Keys come from
 * clients and secrets: plain assignment of `"__proto__"` (legal JSON) would set the
 * object's prototype instead, and the member would vanish.
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** Strings with nothing `JSON.stringify` escapes (quote, backslash, controls, surrogates). */
// eslint-disable-next-line no-control-regex -- these are what JSON escapes
const PLAIN_JSON_STRING = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/** True when `JSON.stringify(s)` is `s` in quotes, unchanged. */
export function isPlainJsonString(s: string): boolean {
  return PLAIN_JSON_STRING.test(s);
}
