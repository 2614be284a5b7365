/**
 * The JWT auth method (type `jwt`): Vault's jwt/oidc credential backend for JWT logins
 * (no browser OIDC redirect flow). Paths: `config`, `role`, `role/{name}`, `login`.
 */

import type { EngineDefinition } from '../../../native-engines/framework/index.js';
import { authMethodOptionsSchema } from '../request-timeout.js';
import { defineRolePaths } from '../role-paths.js';
import { configPath } from './config-path.js';
import { createJwtState, jwtKit } from './context.js';
import { loginPath } from './login.js';
import { checkJwtRole, jwtRoleBody, jwtRoleView, loadJwtRole, roleView, saveJwtRole } from './role.js';

const rolePaths = defineRolePaths(jwtKit, {
  method: 'JWT',
  body: jwtRoleBody,
  view: jwtRoleView,
  check: checkJwtRole,
  toView: roleView,
  load: loadJwtRole,
  save: saveJwtRole,
});

/** The JWT auth method definition (type `jwt`), mounted under `/api/v1/auth/{mount}/`. */
export const jwtMethod: EngineDefinition = jwtKit.defineEngine({
  type: 'jwt',
  description: 'Log in with a signed JWT verified against a JWKS URL, OIDC discovery, or static public keys (like Vault\'s jwt method, JWT login only).',
  options: authMethodOptionsSchema,
  actions: [],
  setup: () => createJwtState(),
  paths: [configPath, ...rolePaths, loginPath],
});
