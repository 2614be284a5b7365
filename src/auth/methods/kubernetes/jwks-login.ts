/**
 * Validation without TokenReview (`use_jwks`): the service-account JWT is verified locally
 * against the cluster issuer's keys (a JWKS URL, typically `{host}/openid/v1/jwks`, or PEM
 * keys), with `exp` required, the issuer checked unless disabled, and the role's audience.
 */

import type { Runtime } from '../../../core/index.js';
import { refuse } from '../login-refusal.js';
import { checkAudience, createRemoteKeySet, createStaticKeySet, verifySignedJwt } from '../signed-jwt/index.js';
import type { KeySource } from '../signed-jwt/index.js';
import type { KubernetesConfig } from './config.js';
import type { KubernetesState } from './context.js';
import { serviceAccountFromClaims } from './service-account.js';
import type { ServiceAccount } from './service-account.js';

/** The algorithms Kubernetes signs service-account tokens with. */
export const KUBERNETES_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'] as const;

/** Leeway on exp, nbf and iat for service-account tokens. */
export const KUBERNETES_CLOCK_SKEW_MS = 60_000;

/** What local verification needs from the mount. */
export interface JwksLoginDeps {
  runtime: Runtime;
  state: KubernetesState;
  timeoutMs: number;
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

function fetchFor(runtime: Runtime, caPem: string | null): typeof fetch {
  if (caPem === null) return runtime.fetch;
  if (runtime.tlsFetch === undefined) refuse('tls_fetch_unavailable');
  return runtime.tlsFetch({ caPem });
}

function keySource(config: KubernetesConfig, jwks: NonNullable<KubernetesConfig['use_jwks']>, deps: JwksLoginDeps): KeySource {
  if (jwks.jwks_url === null) {
    const pems = jwks.pem_keys;
    return deps.state.keySources.get(`pem\n${pems.join('\n')}`, () => ({ kind: 'static', keys: createStaticKeySet(pems) }));
  }
  const url = jwks.jwks_url;
  // The API server's own JWKS endpoint needs its CA and, on most clusters, a bearer token.
  const onCluster = sameOrigin(url, config.kubernetes_host);
  const caPem = jwks.jwks_ca_pem ?? (onCluster ? config.kubernetes_ca_cert : null);
  const reviewer = onCluster ? config.token_reviewer_jwt : null;
  return deps.state.keySources.get(`jwks\n${url}\n${caPem ?? ''}\n${reviewer === null ? '' : 'bearer'}`, () => ({
    kind: 'remote',
    keys: createRemoteKeySet({
      url,
      fetch: fetchFor(deps.runtime, caPem),
      timeoutMs: deps.timeoutMs,
      now: () => deps.runtime.now(),
      ...(reviewer === null ? {} : { headers: { authorization: `Bearer ${reviewer.reveal()}` } }),
    }),
  }));
}

/**
 * The service account `jwt` proves, verified with the configured keys. Throws
 * `LoginRefusal` (signature, time, issuer and audience reasons, `jwt_not_service_account`).
 */
export async function verifyLocally(
  jwt: string,
  audience: string | null,
  config: KubernetesConfig,
  jwks: NonNullable<KubernetesConfig['use_jwks']>,
  deps: JwksLoginDeps,
): Promise<ServiceAccount> {
  const claims = await verifySignedJwt(jwt, keySource(config, jwks, deps), {
    algorithms: KUBERNETES_ALGORITHMS,
    ...(config.disable_iss_validation || config.issuer === null ? {} : { issuer: config.issuer }),
    nowMs: deps.runtime.now(),
    clockSkewMs: KUBERNETES_CLOCK_SKEW_MS,
    expirationLeewayMs: 0,
    notBeforeLeewayMs: 0,
  });
  if (audience !== null) checkAudience(claims.aud, [audience], false);
  const account = serviceAccountFromClaims(claims);
  if (account === null) refuse('jwt_not_service_account');
  return account;
}
