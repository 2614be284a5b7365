/**
 * `login`: exchanges a Kubernetes service-account JWT for a token. The role's bindings are
 * checked against what the token claims before any call (so a token for another service
 * account costs no TokenReview), then the token is validated (TokenReview, or locally with
 * `use_jwks`), and the validated identity is checked against the bindings again. Any
 * credential failure is the one opaque 401, with only `{ mount, reason }` logged.
 */

import { decodeJwt } from 'jose';
import { z } from 'zod';
import { deadline } from '../../../core/index.js';
import type { AuthResult } from '../../../core/index.js';
import { noQuery } from '../../../native-engines/framework/index.js';
import { addressInCidrs } from '../cidr.js';
import { loginFailure, refuse } from '../login-refusal.js';
import { MAX_JWT_LENGTH } from '../signed-jwt/index.js';
import { roleNameSchema, tokenResultFields } from '../token-fields.js';
import { DEFAULT_SERVICE_ACCOUNT_ISSUER, loadKubernetesConfig } from './config.js';
import type { KubernetesConfig } from './config.js';
import { kubernetesKit } from './context.js';
import type { KubernetesContext } from './context.js';
import { verifyLocally } from './jwks-login.js';
import { loadKubernetesRole } from './role.js';
import type { KubernetesRole } from './role.js';
import { boundBy, serviceAccountFromClaims } from './service-account.js';
import type { ServiceAccount } from './service-account.js';
import { reviewToken } from './token-review.js';

/** Body of a login. */
export const kubernetesLoginBody = z.object({
  role: roleNameSchema.describe('The role to log in with.'),
  jwt: z.string().max(1_048_576).describe('The service account JWT.'),
});

type LoginBody = z.output<typeof kubernetesLoginBody>;

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function checkBindings(role: KubernetesRole, account: ServiceAccount): void {
  if (!boundBy(role.bound_service_account_namespaces, account.namespace)) refuse('namespace_not_bound');
  if (!boundBy(role.bound_service_account_names, account.name)) refuse('service_account_not_bound');
}

/** What the token says about itself (unverified), checked before any network call. */
function precheck(jwt: string, role: KubernetesRole, config: KubernetesConfig): ServiceAccount {
  if (jwt.length > MAX_JWT_LENGTH) refuse('jwt_too_large');
  if (!COMPACT_JWS.test(jwt)) refuse('jwt_malformed');
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(jwt);
  } catch {
    return refuse('jwt_malformed');
  }
  const claimed = serviceAccountFromClaims(claims);
  if (claimed === null) refuse('jwt_not_service_account');
  checkBindings(role, claimed);
  if (config.use_jwks === null && !config.disable_iss_validation && claims.iss !== (config.issuer ?? DEFAULT_SERVICE_ACCOUNT_ISSUER)) refuse('iss_mismatch');
  return claimed;
}

async function validate(ctx: KubernetesContext<LoginBody>, jwt: string, role: KubernetesRole, config: KubernetesConfig): Promise<ServiceAccount> {
  const timeoutMs = ctx.options.request_timeout;
  if (config.use_jwks !== null) return verifyLocally(jwt, role.audience, config, config.use_jwks, { runtime: ctx.runtime, state: ctx.state, timeoutMs });
  let fetcher: typeof fetch = ctx.runtime.fetch;
  if (config.kubernetes_ca_cert !== null) {
    if (ctx.runtime.tlsFetch === undefined) refuse('tls_fetch_unavailable');
    fetcher = ctx.runtime.tlsFetch({ caPem: config.kubernetes_ca_cert });
  }
  const bounded = deadline(ctx.req.signal, timeoutMs);
  try {
    return await reviewToken({
      host: config.kubernetes_host,
      fetch: fetcher,
      bearer: config.token_reviewer_jwt?.reveal() ?? jwt,
      jwt,
      audience: role.audience,
      signal: bounded.signal,
    });
  } finally {
    bounded.release();
  }
}

async function authenticate(ctx: KubernetesContext<LoginBody>): Promise<AuthResult> {
  const { role: roleName, jwt } = ctx.body;
  const role = await loadKubernetesRole(ctx.storage, roleName);
  if (role === null) refuse('role_not_found');
  if (role.token_bound_cidrs.length > 0 && !addressInCidrs(ctx.req.clientAddress, role.token_bound_cidrs)) refuse('cidr_mismatch');
  const config = await loadKubernetesConfig(ctx.storage);
  if (config === null) refuse('not_configured');

  const claimed = precheck(jwt, role, config);
  const account = await validate(ctx, jwt, role, config);
  // The validated identity decides; it must also be the one the token claimed.
  checkBindings(role, account);
  if (account.namespace !== claimed.namespace || account.name !== claimed.name || (account.uid !== '' && claimed.uid !== '' && account.uid !== claimed.uid)) {
    refuse('identity_mismatch');
  }
  const uid = account.uid !== '' ? account.uid : claimed.uid;
  if (role.alias_name_source === 'serviceaccount_uid' && uid === '') refuse('uid_missing');
  const alias = role.alias_name_source === 'serviceaccount_uid' ? uid : `${account.namespace}/${account.name}`;
  const metadata = {
    service_account_name: account.name,
    service_account_namespace: account.namespace,
    service_account_uid: uid,
  };
  return {
    alias: { name: alias, metadata },
    displayName: `${ctx.req.mount.type}-${alias}`,
    metadata: { ...metadata, role: roleName },
    ...tokenResultFields(role),
  };
}

/** The `login` path spec. */
export const loginPath = kubernetesKit.definePath({
  pattern: 'login',
  help: {
    synopsis: 'Log in with a Kubernetes service account token.',
    description:
      'Checks the role\'s namespace and name bindings, validates the token with the TokenReview API (or locally with use_jwks), and issues a token. Any failure is one 401.',
  },
  operations: {
    update: kubernetesKit.defineOperation({
      summary: 'Log in with a service account JWT',
      body: kubernetesLoginBody,
      query: noQuery,
      sensitive: ['jwt'],
      async handler(ctx) {
        try {
          return { auth: await authenticate(ctx), cache: 'no-store' };
        } catch (err) {
          throw loginFailure(ctx.runtime.logger, ctx.req.mount.path, err);
        }
      },
    }),
  },
});
