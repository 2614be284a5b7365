/**
 * The Kubernetes method's configuration (`config`): the API server (`kubernetes_host`,
 * its CA), the TokenReview credentials (`token_reviewer_jwt`: write-only, never read back),
 * issuer checks, and optionally `use_jwks` to verify service-account tokens locally
 * against the cluster issuer's keys instead of calling TokenReview.
 */

import { z } from 'zod';
import { sensitive } from '../../../core/index.js';
import type { Sensitive, Storage } from '../../../core/index.js';
import { endpointUrlSchema, parseEndpointUrl } from '../endpoint-url.js';
import { caBundleSchema, publicKeyPemSchema } from '../pem.js';
import { MAX_JWT_LENGTH } from '../signed-jwt/index.js';
import { loadJson, saveJson } from '../../../native-engines/framework/stored-json.js';

/** Storage key of the configuration. */
export const CONFIG_KEY = 'config';

/** The issuer Vault assumes for service-account tokens when none is configured. */
export const DEFAULT_SERVICE_ACCOUNT_ISSUER = 'kubernetes/serviceaccount';

const useJwksBody = z.strictObject({
  jwks_url: endpointUrlSchema.describe('The cluster issuer\'s JWKS, e.g. https://<api server>/openid/v1/jwks.').optional(),
  jwks_ca_pem: caBundleSchema.describe('CA bundle for jwks_url; default kubernetes_ca_cert when jwks_url is on kubernetes_host.').optional(),
  pem_keys: z.array(publicKeyPemSchema).min(1).max(16).describe('The cluster\'s service-account signing public keys (PEM).').optional(),
});

const isHttps = (url: string | undefined): boolean => url !== undefined && parseEndpointUrl(url)?.protocol === 'https:';

/** Body of a configuration write (the whole configuration: fields left out are unset). */
export const kubernetesConfigBody = z
  .strictObject({
    kubernetes_host: endpointUrlSchema.describe('The Kubernetes API server URL, e.g. https://10.0.0.1:6443.'),
    kubernetes_ca_cert: caBundleSchema.describe('PEM CA bundle of the API server.').optional(),
    token_reviewer_jwt: z
      .string()
      .min(1)
      .max(MAX_JWT_LENGTH)
      .regex(/^[A-Za-z0-9._-]+$/, 'must be a JWT (compact serialisation)')
      .describe('Service-account JWT allowed to create TokenReviews (write-only). Unset: each client\'s own JWT is used.')
      .optional(),
    issuer: z.string().min(1).max(1024).describe(`The iss service-account tokens carry; default "${DEFAULT_SERVICE_ACCOUNT_ISSUER}".`).optional(),
    disable_iss_validation: z
      .boolean()
      .describe('Skip the iss check. Default true with TokenReview (the API server checks), false with use_jwks.')
      .optional(),
    use_jwks: useJwksBody.describe('Verify tokens locally with the cluster\'s keys instead of TokenReview.').optional(),
  })
  .superRefine((c, ctx) => {
    if (c.kubernetes_ca_cert !== undefined && !isHttps(c.kubernetes_host)) {
      ctx.addIssue({ code: 'custom', path: ['kubernetes_ca_cert'], message: 'needs an https kubernetes_host' });
    }
    const jwks = c.use_jwks;
    if (jwks === undefined) return;
    if ((jwks.jwks_url === undefined) === (jwks.pem_keys === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['use_jwks'], message: 'exactly one of jwks_url or pem_keys must be set' });
    }
    if (jwks.jwks_ca_pem !== undefined && !isHttps(jwks.jwks_url)) {
      ctx.addIssue({ code: 'custom', path: ['use_jwks', 'jwks_ca_pem'], message: 'needs an https jwks_url' });
    }
    if (c.disable_iss_validation !== true && c.issuer === undefined) {
      ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'is required with use_jwks unless disable_iss_validation is true' });
    }
  });

const storedUseJwks = z.object({
  jwks_url: z.string().nullable(),
  jwks_ca_pem: z.string().nullable(),
  pem_keys: z.array(z.string()),
});

/** The configuration as stored (the reviewer JWT in clear: storage is the barrier view). */
const storedConfigShape = {
  kubernetes_host: z.string(),
  kubernetes_ca_cert: z.string().nullable(),
  issuer: z.string().nullable(),
  disable_iss_validation: z.boolean(),
  use_jwks: storedUseJwks.nullable(),
};

/** The configuration once loaded: the reviewer JWT wrapped, so no log or error can show it. */
const loadedConfigSchema = z.object({
  ...storedConfigShape,
  token_reviewer_jwt: z
    .string()
    .nullable()
    .transform((jwt): Sensitive<string> | null => (jwt === null ? null : sensitive(jwt))),
});

/** A Kubernetes mount's configuration, as login uses it. */
export type KubernetesConfig = z.output<typeof loadedConfigSchema>;

/** A Kubernetes mount's configuration as stored: the reviewer JWT unwrapped. */
export type StoredKubernetesConfig = Omit<KubernetesConfig, 'token_reviewer_jwt'> & { token_reviewer_jwt: string | null };

/** What a configuration read returns: never the reviewer JWT, only whether one is set. */
export const kubernetesConfigView = z.object({ ...storedConfigShape, token_reviewer_jwt_set: z.boolean() });

/** The stored configuration for a validated write. */
export function configFromBody(body: z.output<typeof kubernetesConfigBody>): StoredKubernetesConfig {
  const jwks = body.use_jwks;
  return {
    kubernetes_host: body.kubernetes_host,
    kubernetes_ca_cert: body.kubernetes_ca_cert ?? null,
    token_reviewer_jwt: body.token_reviewer_jwt ?? null,
    issuer: body.issuer ?? null,
    disable_iss_validation: body.disable_iss_validation ?? jwks === undefined,
    use_jwks: jwks === undefined ? null : { jwks_url: jwks.jwks_url ?? null, jwks_ca_pem: jwks.jwks_ca_pem ?? null, pem_keys: jwks.pem_keys ?? [] },
  };
}

/** The read view of a configuration. */
export function configView(config: KubernetesConfig): z.output<typeof kubernetesConfigView> {
  return {
    kubernetes_host: config.kubernetes_host,
    kubernetes_ca_cert: config.kubernetes_ca_cert,
    issuer: config.issuer,
    disable_iss_validation: config.disable_iss_validation,
    use_jwks: config.use_jwks,
    token_reviewer_jwt_set: config.token_reviewer_jwt !== null,
  };
}

/** The configuration, or null when the mount has none. Throws `ERR_INTERNAL` for an unreadable record. */
export function loadKubernetesConfig(storage: Pick<Storage, 'get'>): Promise<KubernetesConfig | null> {
  return loadJson(storage, CONFIG_KEY, loadedConfigSchema, 'kubernetes configuration');
}

/** Stores the configuration. */
export function saveKubernetesConfig(storage: Pick<Storage, 'put'>, config: StoredKubernetesConfig): Promise<void> {
  return saveJson(storage, CONFIG_KEY, config);
}
