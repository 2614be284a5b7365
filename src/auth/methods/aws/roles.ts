/** `role` and `role/{name}`: AWS roles (IAM auth type only) with their bindings and token settings. */

import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../../core/index.js';
import type { JsonObject } from '../../../core/index.js';
import { noBody, noQuery } from '../../../native-engines/framework/index.js';
import { listPage, listQuery, listResponse } from '../list-page.js';
import { roleNameOrNull, roleNameParam } from '../role-param.js';
import { loadJson, saveJson } from '../../../native-engines/framework/stored-json.js';
import { storedTokenFieldsShape, tokenFieldsView, tokenFieldsViewShape, ttlProblem } from '../stored-token-fields.js';
import { stringListSchema } from '../string-list.js';
import { tokenFieldsShape } from '../token-fields.js';
import { MAX_ARN_LENGTH, isBoundArnPattern } from './arn.js';
import { aws } from './context.js';
import type { AwsPathContext } from './context.js';

const ROLE_FOLDER = 'role/';
const roleKey = (name: string): string => `${ROLE_FOLDER}${name}`;

/** Body of `role/{name}` writes. Fields left out keep their current value (defaults on creation). */
export const roleBody = z.strictObject({
  auth_type: z.literal('iam').default('iam').describe('Only "iam" is supported (EC2 identity-document logins are not).'),
  bound_iam_principal_arn: stringListSchema(64, MAX_ARN_LENGTH)
    .pipe(z.array(z.string().refine(isBoundArnPattern, 'must be an ARN, with "*" only as its last character')))
    .default([])
    .describe('IAM user or role ARNs allowed to log in; a trailing "*" matches any ARN with that prefix.'),
  bound_account_id: stringListSchema(64, 12)
    .pipe(z.array(z.string().refine((s) => /^[0-9]{12}$/.test(s), 'must be a 12-digit AWS account id')))
    .default([])
    .describe('AWS account ids the principal must belong to.'),
  resolve_aws_unique_ids: z
    .literal(false)
    .default(false)
    .describe('Must be false: Keygate binds by ARN and makes no IAM calls to resolve unique ids.'),
  ...tokenFieldsShape,
});

/** A role as stored (durations in milliseconds). */
export const storedRoleSchema = z.object({
  auth_type: z.literal('iam'),
  bound_iam_principal_arn: z.array(z.string()),
  bound_account_id: z.array(z.string()),
  resolve_aws_unique_ids: z.literal(false),
  ...storedTokenFieldsShape,
});

/** A stored AWS role. */
export type StoredAwsRole = z.output<typeof storedRoleSchema>;

/** Role `name`, or null. */
export function loadAwsRole(ctx: AwsPathContext, name: string): Promise<StoredAwsRole | null> {
  return loadJson(ctx.storage, roleKey(name), storedRoleSchema, 'AWS role');
}

function roleView(role: StoredAwsRole): JsonObject {
  return {
    auth_type: role.auth_type,
    bound_iam_principal_arn: role.bound_iam_principal_arn,
    bound_account_id: role.bound_account_id,
    resolve_aws_unique_ids: role.resolve_aws_unique_ids,
    ...tokenFieldsView(role),
  };
}

const roleViewSchema = z.object({
  auth_type: z.literal('iam'),
  bound_iam_principal_arn: z.array(z.string()),
  bound_account_id: z.array(z.string()),
  resolve_aws_unique_ids: z.boolean(),
  ...tokenFieldsViewShape,
});

/** `role`: list role names. */
export const awsRolesPath = aws.definePath({
  pattern: 'role',
  help: { synopsis: 'The roles of this AWS mount.', description: 'Lists role names, sorted, a page at a time.' },
  operations: {
    list: aws.defineOperation({
      summary: 'List roles',
      body: noBody,
      query: listQuery,
      response: listResponse,
      handler: (ctx) => listPage(ctx.storage, ROLE_FOLDER, ctx.query),
    }),
  },
});

const writeRole = aws.defineOperation({
  summary: 'Create or update a role',
  description:
    'Creates the role or updates the fields given, keeping the others. A role must bind at least one principal ARN or account id.',
  body: roleBody,
  query: noQuery,
  async handler(ctx) {
    const name = roleNameParam(ctx.params);
    const provided = new Set(Object.keys(ctx.req.data));
    const existing = await loadAwsRole(ctx, name);
    const pick = <K extends keyof StoredAwsRole>(key: K): StoredAwsRole[K] =>
      existing === null || provided.has(key) ? ctx.body[key] : existing[key];
    const role: StoredAwsRole = {
      auth_type: pick('auth_type'),
      bound_iam_principal_arn: pick('bound_iam_principal_arn'),
      bound_account_id: pick('bound_account_id'),
      resolve_aws_unique_ids: pick('resolve_aws_unique_ids'),
      token_policies: pick('token_policies'),
      token_ttl: pick('token_ttl'),
      token_max_ttl: pick('token_max_ttl'),
      token_period: pick('token_period'),
      token_num_uses: pick('token_num_uses'),
      token_bound_cidrs: pick('token_bound_cidrs'),
      token_no_default_policy: pick('token_no_default_policy'),
    };
    if (role.bound_iam_principal_arn.length === 0 && role.bound_account_id.length === 0) {
      const reason = 'a role needs at least one of bound_iam_principal_arn or bound_account_id';
      throw new ValidationError(`invalid request: bound_iam_principal_arn ${reason}`, [{ field: 'bound_iam_principal_arn', reason }]);
    }
    const ttl = ttlProblem(role);
    if (ttl !== null) throw new ValidationError(`invalid request: token_ttl ${ttl}`, [{ field: 'token_ttl', reason: ttl }]);
    await saveJson(ctx.storage, roleKey(name), role);
    return { status: 204 };
  },
});

/** `role/{name}`: one role. */
export const awsRolePath = aws.definePath({
  pattern: 'role/{name}',
  help: {
    synopsis: 'One AWS IAM role.',
    description:
      'Which IAM principals may log in (bound_iam_principal_arn, bound_account_id) and the token settings of the tokens a login issues.',
  },
  async exists(ctx) {
    const name = roleNameOrNull(ctx.params);
    return name !== null && (await loadAwsRole(ctx, name)) !== null;
  },
  operations: {
    read: aws.defineOperation({
      summary: 'Read a role',
      body: noBody,
      query: noQuery,
      response: roleViewSchema,
      async handler(ctx) {
        const role = await loadAwsRole(ctx, roleNameParam(ctx.params));
        if (role === null) throw new NotFoundError('no such role');
        return { data: roleView(role), cache: 'no-store' };
      },
    }),
    create: writeRole,
    update: writeRole,
    delete: aws.defineOperation({
      summary: 'Delete a role',
      body: noBody,
      query: noQuery,
      async handler(ctx) {
        await ctx.storage.delete(roleKey(roleNameParam(ctx.params)));
        return { status: 204 };
      },
    }),
  },
});
