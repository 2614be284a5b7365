/**
 * `login`: exchanges a signed JWT for a token. The body names a role and carries the JWT;
 * the role's bindings and the mount's key source decide. Any credential failure is the
 * one opaque 401 (`UnauthenticatedError`), with only `{ mount, reason }` logged.
 */

import { z } from 'zod';
import { noQuery } from '../../../native-engines/framework/index.js';
import type { AuthResult } from '../../../core/index.js';
import { addressInCidrs } from '../cidr.js';
import { loginFailure, refuse } from '../login-refusal.js';
import { checkAudience, verifySignedJwt } from '../signed-jwt/index.js';
import { roleNameSchema, tokenResultFields } from '../token-fields.js';
import { checkBoundClaims, groupsOf, mappedMetadata, userClaimValue } from './claims.js';
import { loadJwtConfig } from './config.js';
import { jwtKit } from './context.js';
import type { JwtContext } from './context.js';
import { resolveKeys } from './key-source.js';
import { loadJwtRole } from './role.js';

/** Largest `jwt` field the body schema takes; the 16 KiB JWT bound is a 401, checked later. */
const MAX_JWT_FIELD = 1_048_576;

/** Body of a login. */
export const jwtLoginBody = z.object({
  role: roleNameSchema.describe('The role to log in with.'),
  jwt: z.string().max(MAX_JWT_FIELD).describe('The signed JWT (compact serialisation).'),
});

type LoginBody = z.output<typeof jwtLoginBody>;

async function authenticate(ctx: JwtContext<LoginBody>): Promise<AuthResult> {
  const { role: roleName, jwt } = ctx.body;
  const role = await loadJwtRole(ctx.storage, roleName);
  if (role === null) refuse('role_not_found');
  if (role.token_bound_cidrs.length > 0 && !addressInCidrs(ctx.req.clientAddress, role.token_bound_cidrs)) refuse('cidr_mismatch');
  const config = await loadJwtConfig(ctx.storage);
  if (config === null) refuse('not_configured');

  const keys = await resolveKeys(config, { runtime: ctx.runtime, state: ctx.state, timeoutMs: ctx.options.request_timeout });
  const claims = await verifySignedJwt(jwt, keys.source, {
    algorithms: config.jwt_supported_algs,
    ...(keys.issuer === undefined ? {} : { issuer: keys.issuer }),
    nowMs: ctx.runtime.now(),
    clockSkewMs: role.clock_skew_leeway,
    expirationLeewayMs: role.expiration_leeway,
    notBeforeLeewayMs: role.not_before_leeway,
  });

  checkAudience(claims.aud, role.bound_audiences, true);
  if (role.bound_subject !== '' && claims.sub !== role.bound_subject) refuse('sub_mismatch');
  checkBoundClaims(claims, role);
  const alias = userClaimValue(claims, role.user_claim);
  // Groups are checked as Vault does (present and a string list when configured); the
  // AuthResult contract has no group aliases yet, so they are not passed on.
  groupsOf(claims, role.groups_claim);
  const mapped = mappedMetadata(claims, role.claim_mappings);

  return {
    alias: { name: alias, metadata: mapped },
    displayName: `${ctx.req.mount.type}-${alias}`,
    metadata: { ...mapped, role: roleName },
    ...tokenResultFields(role),
  };
}

/** The `login` path spec. */
export const loginPath = jwtKit.definePath({
  pattern: 'login',
  help: {
    synopsis: 'Log in with a signed JWT.',
    description:
      'Verifies the JWT (signature with the configured keys, algorithm, issuer, exp/nbf/iat with leeway, audience, subject and bound claims of the role) and issues a token. No browser OIDC flow.',
  },
  operations: {
    update: jwtKit.defineOperation({
      summary: 'Log in with a JWT',
      body: jwtLoginBody,
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
