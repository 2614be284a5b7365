/**
 * The Kubernetes auth method (type `kubernetes`): service accounts log in with their JWT,
 * validated by the cluster's TokenReview API or locally against its keys. Paths: `config`,
 * `role`, `role/{name}`, `login`.
 */

import type { EngineDefinition } from '../../../native-engines/framework/index.js';
import { authMethodOptionsSchema } from '../request-timeout.js';
import { defineRolePaths } from '../role-paths.js';
import { configPath } from './config-path.js';
import { createKubernetesState, kubernetesKit } from './context.js';
import { loginPath } from './login.js';
import { checkKubernetesRole, kubernetesRoleBody, kubernetesRoleView, loadKubernetesRole, roleView, saveKubernetesRole } from './role.js';

const rolePaths = defineRolePaths(kubernetesKit, {
  method: 'Kubernetes',
  body: kubernetesRoleBody,
  view: kubernetesRoleView,
  check: checkKubernetesRole,
  toView: roleView,
  load: loadKubernetesRole,
  save: saveKubernetesRole,
});

/** The Kubernetes auth method definition (type `kubernetes`), mounted under `/api/v1/auth/{mount}/`. */
export const kubernetesMethod: EngineDefinition = kubernetesKit.defineEngine({
  type: 'kubernetes',
  description: 'Log in with a Kubernetes service account token, validated by TokenReview or against the cluster\'s keys (like Vault\'s kubernetes method).',
  options: authMethodOptionsSchema,
  actions: [],
  setup: () => createKubernetesState(),
  paths: [configPath, ...rolePaths, loginPath],
});
