import type { JsonValue } from './types.js';

/** Option names whose values are credentials: shown as `[redacted]` wherever configuration is read back. */
const CREDENTIAL_KEY = /secret|password|passphrase|token|credential|private|jwt|api_?key|access_key/i;

/**
 * A copy of a configuration value with every credential-looking member replaced by
 * `[redacted]`, at any depth: for `GET sys/mounts`, `sys/audit` and the like. Names decide,
 * so a credential under an unexpected name is the one risk: keep option names descriptive.
 */
export function redactCredentials(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map((v) => redactCredentials(v));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(value)) out[k] = CREDENTIAL_KEY.test(k) ? '[redacted]' : redactCredentials(v);
  return out;
}
