/** RFC 7396 JSON Merge Patch. */

import { isJsonObject, setOwn } from './json.js';
import type { JsonObject, JsonValue } from './types.js';

/**
 * Applies `patch` to `target` (neither is modified): object members merge recursively,
 * `null` removes a member, anything else (arrays included) replaces. Recursion follows the
 * patch's own nesting, which the gateway bounds (`DEFAULT_MAX_JSON_DEPTH`).
 */
export function mergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete out[key];
      continue;
    }
    const current: JsonValue | undefined = Object.prototype.hasOwnProperty.call(out, key) ? out[key] : undefined;
    setOwn(out, key, isJsonObject(value) ? mergePatch(isJsonObject(current) ? current : {}, value) : value);
  }
  return out;
}
