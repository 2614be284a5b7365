/**
 * The JWS algorithms a login may accept: asymmetric signatures only. `none` can never be
 * configured, and the HMAC family (`HS*`) is refused outright: the gateway holds no shared
 * secret, and accepting `HS256` is how a public RSA key gets abused as an HMAC secret.
 */

import { z } from 'zod';

/** Every algorithm a JWT auth mount may list in `jwt_supported_algs`. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

/** One asymmetric JWS algorithm. */
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

/** The default accepted set: RSA, P-256 and Ed25519 signatures. */
export const DEFAULT_ALGORITHMS: readonly AsymmetricAlgorithm[] = ['RS256', 'ES256', 'EdDSA'];

/** Whether `alg` is one of `ASYMMETRIC_ALGORITHMS`. */
export function isAsymmetricAlgorithm(alg: unknown): alg is AsymmetricAlgorithm {
  return typeof alg === 'string' && ASYMMETRIC_ALGORITHMS.some((a) => a === alg);
}

/** A list of algorithms: each asymmetric (no `none`, no `HS*`), deduplicated, 1 to 11 entries. */
export const algorithmListSchema = z
  .array(z.enum(ASYMMETRIC_ALGORITHMS))
  .min(1)
  .max(ASYMMETRIC_ALGORITHMS.length * 2)
  .transform((list) => [...new Set(list)]);
