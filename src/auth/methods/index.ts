/**
 * The auth methods Keygate can mount, by type: an explicit registry, nothing registers
 * itself on import. Each is an engine definition whose `login` path answers with an
 * `AuthResult` (docs/decisions/0007-auth-methods-as-engines.md).
 */

import type { EngineDefinition } from '../../native-engines/framework/index.js';
import { approleMethod } from './approle/index.js';
import { awsMethod } from './aws/index.js';
import { jwtMethod } from './jwt/index.js';
import { kubernetesMethod } from './kubernetes/index.js';

export const authMethods: Readonly<Record<string, EngineDefinition>> = Object.freeze({
  approle: approleMethod,
  aws: awsMethod,
  jwt: jwtMethod,
  kubernetes: kubernetesMethod,
});
