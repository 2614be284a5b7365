/**
 * `login`: the IAM login of Vault's AWS method. The client signs an STS GetCallerIdentity
 * request (including the server-id header) and sends its parts; Keygate checks and
 * rebuilds it from allowed parts only (`buildStsRequest`), sends it to the configured STS
 * endpoint, and learns from STS who signed it. The principal's ARN and account must then
 * satisfy the role's bindings. Every failure is one opaque 401, logged with a fixed code.
 */

import { z } from 'zod';
import { deadline } from '../../../core/index.js';
import type { AuthResult } from '../../../core/index.js';
import { noQuery } from '../../../native-engines/framework/index.js';
import { loginFailure, refuse } from '../login-refusal.js';
import { roleNameSchema, tokenResultFields } from '../token-fields.js';
import { boundArnMatches, parsePrincipalArn } from './arn.js';
import { loadClientConfig } from './client-config.js';
import { aws } from './context.js';
import type { AwsContext } from './context.js';
import { loadAwsRole } from './roles.js';
import type { StoredAwsRole } from './roles.js';
import { callGetCallerIdentity } from './sts-call.js';
import { buildStsRequest } from './sts-request.js';

const headerValue = z.union([z.string().max(16 * 1024), z.array(z.string().max(16 * 1024)).max(4)]);

/** Body of `login`, with Vault's field names. */
export const loginBody = z.strictObject({
  role: roleNameSchema.optional().describe('The role to log in with; default: the name of the IAM user or role that signed.'),
  iam_http_request_method: z.string().max(16).describe('Must be "POST".'),
  iam_request_url: z.string().max(4096).describe('Base64 of the signed request\'s URL: the configured STS endpoint.'),
  iam_request_body: z.string().max(4096).describe('Base64 of the signed body: Action=GetCallerIdentity&Version=2011-06-15.'),
  iam_request_headers: z
    .union([z.string().max(64 * 1024), z.record(z.string().max(128), headerValue)])
    .describe('The signed request\'s headers: a JSON object (or base64 of one) of names to values.'),
});

type LoginBody = z.output<typeof loginBody>;

async function roleFor(ctx: AwsContext, name: string): Promise<StoredAwsRole> {
  return (await loadAwsRole(ctx, name)) ?? refuse('role_unknown');
}

async function login(ctx: AwsContext<LoginBody>): Promise<AuthResult> {
  const config = await loadClientConfig(ctx);
  if (config === null || config.iam_server_id_header_value === '') refuse('not_configured');
  // A named role is checked before STS is called, so unknown roles cost no outbound request.
  let role = ctx.body.role === undefined ? null : await roleFor(ctx, ctx.body.role);

  const request = buildStsRequest(ctx.body, config, ctx.runtime.now());
  const bounded = deadline(ctx.req.signal, ctx.options.request_timeout);
  const identity = await callGetCallerIdentity(ctx.runtime.fetch, request, bounded.signal).finally(() => bounded.release());
  const principal = parsePrincipalArn(identity.arn);
  if (principal === null) refuse('principal_unsupported');
  if (principal.account !== identity.account) refuse('account_mismatch');

  let roleName = ctx.body.role;
  if (roleName === undefined || role === null) {
    const inferred = roleNameSchema.safeParse(principal.name);
    if (!inferred.success) refuse('role_unknown');
    roleName = inferred.data;
    role = await roleFor(ctx, roleName);
  }
  if (role.bound_account_id.length > 0 && !role.bound_account_id.includes(identity.account)) refuse('account_not_bound');
  if (role.bound_iam_principal_arn.length > 0 && !role.bound_iam_principal_arn.some((bound) => boundArnMatches(bound, principal))) {
    refuse('principal_not_bound');
  }

  // The IAM unique id (AIDA…/AROA…, before any ":session"): stable for the life of the
  // principal, and not reused if it is deleted and recreated under the same name.
  const uniqueId = identity.userId.split(':')[0] ?? identity.userId;
  return {
    alias: { name: uniqueId, metadata: { account_id: identity.account, canonical_arn: principal.canonicalArn } },
    displayName: `aws-${roleName}`,
    metadata: {
      role_name: roleName,
      auth_type: 'iam',
      account_id: identity.account,
      client_arn: identity.arn,
      canonical_arn: principal.canonicalArn,
      client_user_id: uniqueId,
    },
    ...tokenResultFields(role),
  };
}

/** `login`: log in with a signed sts:GetCallerIdentity request. */
export const awsLoginPath = aws.definePath({
  pattern: 'login',
  help: {
    synopsis: 'Log in with a signed sts:GetCallerIdentity request.',
    description:
      'POST {"role", "iam_http_request_method", "iam_request_url", "iam_request_body", "iam_request_headers"}, as Vault clients send them. The request must be signed with SigV4 and sign the server-id header. Any failure is one 401, whatever the reason.',
  },
  operations: {
    update: aws.defineOperation({
      summary: 'Log in with AWS IAM',
      body: loginBody,
      query: noQuery,
      sensitive: ['iam_request_headers'],
      async handler(ctx) {
        try {
          return { auth: await login(ctx) };
        } catch (err) {
          throw loginFailure(ctx.runtime.logger, ctx.req.mount.path, err);
        }
      },
    }),
  },
});
