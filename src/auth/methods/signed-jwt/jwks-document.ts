/**
 * Validation of a fetched JSON Web Key Set before jose sees it. A set is refused whole
 * when it is ambiguous or unsafe: duplicate `kid`s (which key would verify?), non-plain
 * `kid`s, symmetric or private keys, or more keys than any real issuer publishes.
 */

import type { JSONWebKeySet, JWK } from 'jose';
import { isJsonObject } from '../../../core/index.js';
import { isPlainKid } from './kid.js';

/** Most keys one set may hold. */
export const MAX_JWKS_KEYS = 100;

/** Members that only private or symmetric keys carry. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];

/** The outcome of checking a key set: the set (only its `keys`), or a fixed reason code. */
export type CheckedJwks = { ok: true; jwks: JSONWebKeySet } | { ok: false; reason: string };

function toJwk(value: Record<string, unknown>): JWK | null {
  const kty = value.kty;
  if (typeof kty !== 'string') return null;
  const jwk: JWK = { kty };
  for (const [key, member] of Object.entries(value)) {
    if (key === '__proto__') continue;
    Reflect.set(jwk, key, member);
  }
  return jwk;
}

/** Checks a parsed key set document (see the module comment for what is refused). */
export function checkJwksDocument(document: unknown): CheckedJwks {
  if (!isJsonObject(document)) return { ok: false, reason: 'jwks_malformed' };
  const keys = document.keys;
  if (!Array.isArray(keys) || keys.length === 0) return { ok: false, reason: 'jwks_malformed' };
  if (keys.length > MAX_JWKS_KEYS) return { ok: false, reason: 'jwks_too_many_keys' };
  const seen = new Set<string>();
  const out: JWK[] = [];
  for (const key of keys) {
    if (!isJsonObject(key)) return { ok: false, reason: 'jwks_malformed' };
    if (key.kty === 'oct' || PRIVATE_MEMBERS.some((m) => Object.hasOwn(key, m))) return { ok: false, reason: 'jwks_not_public' };
    const kid = key.kid;
    if (kid !== undefined) {
      if (!isPlainKid(kid)) return { ok: false, reason: 'jwks_kid_invalid' };
      if (seen.has(kid)) return { ok: false, reason: 'jwks_duplicate_kid' };
      seen.add(kid);
    }
    const jwk = toJwk(key);
    if (jwk === null) return { ok: false, reason: 'jwks_malformed' };
    out.push(jwk);
  }
  return { ok: true, jwks: { keys: out } };
}
