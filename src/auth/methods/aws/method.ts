/**
 * The AWS auth method (type `aws`), IAM logins only: a workload proves its IAM identity by
 * signing an sts:GetCallerIdentity request, which Keygate checks, forwards to STS and
 * matches against the role's bound ARNs and accounts. No AWS credentials are configured
 * in Keygate: STS verifies the signature. EC2 identity-document logins are not offered.
 */

import type { EngineDefinition } from '../../../native-engines/framework/index.js';
import { clientConfigPath } from './client-config.js';
import { aws, awsOptionsSchema } from './context.js';
import { awsLoginPath } from './login.js';
import { awsRolePath, awsRolesPath } from './roles.js';

/** The AWS auth method definition (type `aws`), mounted by the gateway under `/api/v1/auth/{mount}/`. */
export const awsMethod: EngineDefinition = aws.defineEngine({
  type: 'aws',
  description: 'AWS IAM: workloads log in with a signed sts:GetCallerIdentity request (Vault-compatible iam login).',
  options: awsOptionsSchema,
  actions: [],
  setup: () => ({}),
  paths: [awsLoginPath, clientConfigPath, awsRolesPath, awsRolePath],
});
