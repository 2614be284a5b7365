/**
 * Verifying a signed JWT for a login: the pre-parse checks (`checkCompactHeader`), the
 * signature with jose's `jwtVerify` restricted to the configured algorithms, the issuer,
 * and the time claims against the runtime clock with bounded leeways: `exp` is required,
 * `nbf` and `iat` are checked when present. Every failure is a `LoginRefusal` with a fixed
 * reason; jose's own errors (which may carry the claims) never travel further.
 */

import { errors, jwtVerify } from 'jose';
import type { CryptoKey, JWTPayload, JWTVerifyOptions, RemoteJWKSet } from 'jose';
import { LoginRefusal, refuse } from '../login-refusal.js';
import { checkCompactHeader } from './compact-header.js';
import type { StaticKeySet } from './static-key-set.js';

/** Where verification keys come from. */
export type KeySource = { kind: 'remote'; keys: RemoteJWKSet } | { kind: 'static'; keys: StaticKeySet };

/** What a token must satisfy besides its signature. */
export interface VerifyPolicy {
  /** Accepted `alg` values (asymmetric only; see `algorithms.ts`). */
  algorithms: readonly string[];
  /** When set, `iss` must equal it exactly. */
  issuer?: string;
  /** The current time (ms since the epoch), from the runtime clock. */
  nowMs: number;
  /** Leeway applied to `exp`, `nbf` and `iat`. */
  clockSkewMs: number;
  /** Extra leeway on `exp` only. */
  expirationLeewayMs: number;
  /** Extra leeway on `nbf` only. */
  notBeforeLeewayMs: number;
}

/** Most keys tried for a token without a `kid` that several keys of a set could verify. */
const MAX_CANDIDATE_KEYS = 10;

/** The `LoginRefusal` for an error thrown while verifying (see the module comment). */
export function refusalFor(err: unknown): LoginRefusal {
  if (err instanceof LoginRefusal) return err;
  if (err instanceof errors.JOSEAlgNotAllowed) return new LoginRefusal('alg_not_allowed');
  if (err instanceof errors.JWSSignatureVerificationFailed) return new LoginRefusal('signature_invalid');
  if (err instanceof errors.JWTExpired) return new LoginRefusal('jwt_expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'nbf':
        return new LoginRefusal('jwt_not_yet_valid');
      case 'iss':
        return new LoginRefusal('iss_mismatch');
      case 'exp':
        return new LoginRefusal(err.reason === 'missing' ? 'exp_missing' : 'exp_invalid');
      case 'iat':
        return new LoginRefusal('iat_invalid');
      default:
        return new LoginRefusal('claims_invalid');
    }
  }
  if (err instanceof errors.JWKSNoMatchingKey) return new LoginRefusal('kid_unknown');
  if (err instanceof errors.JWKSMultipleMatchingKeys) return new LoginRefusal('key_ambiguous');
  if (err instanceof errors.JWKSTimeout) return new LoginRefusal('jwks_timeout');
  if (err instanceof errors.JWKSInvalid || err instanceof errors.JWKInvalid) return new LoginRefusal('jwks_malformed');
  if (err instanceof errors.JOSENotSupported) return new LoginRefusal('alg_unsupported');
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return new LoginRefusal('jwt_malformed');
  return new LoginRefusal('verification_failed');
}

async function verifyWithKeys(token: string, keys: AsyncIterable<CryptoKey> | Iterable<CryptoKey>, options: JWTVerifyOptions): Promise<JWTPayload> {
  let tried = 0;
  for await (const key of keys) {
    if (++tried > MAX_CANDIDATE_KEYS) break;
    try {
      return (await jwtVerify(token, key, options)).payload;
    } catch (err) {
      // A wrong key fails the signature; anything else (expiry, issuer) is the token's own fault.
      if (!(err instanceof errors.JWSSignatureVerificationFailed)) throw refusalFor(err);
    }
  }
  return refuse(tried === 0 ? 'no_key_for_alg' : 'signature_invalid');
}

async function verifySignature(token: string, source: KeySource, alg: string, options: JWTVerifyOptions): Promise<JWTPayload> {
  if (source.kind === 'static') return verifyWithKeys(token, await source.keys.keysFor(alg), options);
  try {
    return (await jwtVerify(token, source.keys, options)).payload;
  } catch (err) {
    // A token without `kid` that several keys of the set fit: try each (bounded), as Vault does.
    if (err instanceof errors.JWKSMultipleMatchingKeys) return verifyWithKeys(token, { [Symbol.asyncIterator]: () => err[Symbol.asyncIterator]() }, options);
    throw refusalFor(err);
  }
}

function checkTimes(payload: JWTPayload, policy: VerifyPolicy): void {
  const now = policy.nowMs / 1000;
  const skew = policy.clockSkewMs / 1000;
  const { exp, nbf, iat } = payload;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) refuse('exp_missing');
  if (exp <= now - skew - policy.expirationLeewayMs / 1000) refuse('jwt_expired');
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + skew + policy.notBeforeLeewayMs / 1000)) refuse('jwt_not_yet_valid');
  if (iat !== undefined && (typeof iat !== 'number' || iat > now + skew)) refuse('iat_in_future');
}

/**
 * Verifies `token` with keys from `source` under `policy` and returns its claims. Throws
 * `LoginRefusal` on any failure (audience, subject and other bindings are the caller's).
 */
export async function verifySignedJwt(token: string, source: KeySource, policy: VerifyPolicy): Promise<JWTPayload> {
  const { alg } = checkCompactHeader(token, policy.algorithms);
  // jose checks exp/nbf with the loosest leeway; checkTimes then applies each one exactly.
  const loosest = policy.clockSkewMs + Math.max(policy.expirationLeewayMs, policy.notBeforeLeewayMs);
  const options: JWTVerifyOptions = {
    algorithms: [...policy.algorithms],
    currentDate: new Date(policy.nowMs),
    clockTolerance: loosest / 1000,
    requiredClaims: ['exp'],
    ...(policy.issuer === undefined ? {} : { issuer: policy.issuer }),
  };
  const payload = await verifySignature(token, source, alg, options);
  checkTimes(payload, policy);
  return payload;
}
