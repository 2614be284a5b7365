/**
 * The JWT method's configuration (`config`): where verification keys come from (exactly
 * one of a JWKS URL, OIDC discovery, or static PEM public keys), the expected issuer and
 * the accepted algorithms. Nothing here is secret, so a read returns all of it.
 */

import { z } from 'zod';
import type { Storage } from '../../../core/index.js';
import { endpointUrlSchema, parseEndpointUrl } from '../endpoint-url.js';
import { caBundleSchema, publicKeyPemSchema } from '../pem.js';
import { ASYMMETRIC_ALGORITHMS, DEFAULT_ALGORITHMS, algorithmListSchema } from '../signed-jwt/index.js';
import { loadJson, saveJson } from '../../../native-engines/framework/stored-json.js';

/** Storage key of the configuration. */
export const CONFIG_KEY = 'config';

/** Most static public keys. */
export const MAX_PUBKEYS = 16;

/** Body of a configuration write (the whole configuration: fields left out are unset). */
export const jwtConfigBody = z
  .strictObject({
    jwks_url: endpointUrlSchema.describe('URL of the issuer\'s JSON Web Key Set.').optional(),
    jwks_ca_pem: caBundleSchema.describe('PEM CA bundle to trust for jwks_url instead of the public CAs.').optional(),
    oidc_discovery_url: endpointUrlSchema
      .describe('OIDC issuer URL; keys are found through its /.well-known/openid-configuration, whose issuer must equal this URL.')
      .optional(),
    oidc_discovery_ca_pem: caBundleSchema.describe('PEM CA bundle to trust for discovery and its jwks_uri.').optional(),
    jwt_validation_pubkeys: z
      .array(publicKeyPemSchema)
      .min(1)
      .max(MAX_PUBKEYS)
      .describe('PEM public keys (SPKI or certificates) to verify signatures locally.')
      .optional(),
    bound_issuer: z.string().min(1).max(1024).describe('The iss every token must carry (exact match).').optional(),
    jwt_supported_algs: algorithmListSchema
      .describe('Accepted signature algorithms (asymmetric only; HS* and none are refused). Default RS256, ES256, EdDSA.')
      .optional(),
  })
  .superRefine((c, ctx) => {
    const sources = [c.jwks_url, c.oidc_discovery_url, c.jwt_validation_pubkeys].filter((s) => s !== undefined).length;
    if (sources !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['jwks_url'],
        message: 'exactly one of jwks_url, oidc_discovery_url or jwt_validation_pubkeys must be set',
      });
    }
    const caRules = [
      ['jwks_ca_pem', c.jwks_ca_pem, c.jwks_url, 'jwks_url'],
      ['oidc_discovery_ca_pem', c.oidc_discovery_ca_pem, c.oidc_discovery_url, 'oidc_discovery_url'],
    ] as const;
    for (const [field, ca, url, urlField] of caRules) {
      if (ca === undefined) continue;
      if (url === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `may only be set with ${urlField}` });
      else if (parseEndpointUrl(url)?.protocol !== 'https:') ctx.addIssue({ code: 'custom', path: [field], message: `needs an https ${urlField}` });
    }
  });

/** The configuration as stored and read. */
export const storedJwtConfigSchema = z.object({
  jwks_url: z.string().nullable(),
  jwks_ca_pem: z.string().nullable(),
  oidc_discovery_url: z.string().nullable(),
  oidc_discovery_ca_pem: z.string().nullable(),
  jwt_validation_pubkeys: z.array(z.string()),
  bound_issuer: z.string().nullable(),
  jwt_supported_algs: z.array(z.enum(ASYMMETRIC_ALGORITHMS)).min(1),
});

/** A JWT mount's configuration. */
export type JwtConfig = z.output<typeof storedJwtConfigSchema>;

/** The stored configuration for a validated write. */
export function configFromBody(body: z.output<typeof jwtConfigBody>): JwtConfig {
  return {
    jwks_url: body.jwks_url ?? null,
    jwks_ca_pem: body.jwks_ca_pem ?? null,
    oidc_discovery_url: body.oidc_discovery_url ?? null,
    oidc_discovery_ca_pem: body.oidc_discovery_ca_pem ?? null,
    jwt_validation_pubkeys: body.jwt_validation_pubkeys ?? [],
    bound_issuer: body.bound_issuer ?? null,
    jwt_supported_algs: body.jwt_supported_algs ?? [...DEFAULT_ALGORITHMS],
  };
}

/** The configuration, or null when the mount has none. Throws `ERR_INTERNAL` for an unreadable record. */
export function loadJwtConfig(storage: Pick<Storage, 'get'>): Promise<JwtConfig | null> {
  return loadJson(storage, CONFIG_KEY, storedJwtConfigSchema, 'jwt configuration');
}

/** Stores the configuration. */
export function saveJwtConfig(storage: Pick<Storage, 'put'>, config: JwtConfig): Promise<void> {
  return saveJson(storage, CONFIG_KEY, config);
}
