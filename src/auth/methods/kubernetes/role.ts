/**
 * Kubernetes roles (`role/{name}`): the service accounts that may log in (names and
 * namespaces, `*` or globs, canonicalised to lower case), an optional audience, how the
 * identity alias is named, and the token settings.
 */

import { z } from 'zod';
import type { FieldIssue, Storage } from '../../../core/index.js';
import { roleKey } from '../role-paths.js';
import { stringListSchema } from '../string-list.js';
import { storedTokenFieldsShape, tokenFieldsView, tokenFieldsViewShape, ttlProblem } from '../stored-token-fields.js';
import { tokenFieldsShape } from '../token-fields.js';
import { loadJson, saveJson } from '../../../native-engines/framework/stored-json.js';

/** Most names or namespaces per role. */
export const MAX_BINDINGS = 64;

/** A bound service-account name: DNS-subdomain characters plus `*`. */
const NAME_PATTERN = /^[a-z0-9*][a-z0-9.*-]{0,252}$/;
/** A bound namespace: DNS-label characters plus `*`. */
const NAMESPACE_PATTERN = /^[a-z0-9*][a-z0-9*-]{0,62}$/;

function bindingList(pattern: RegExp, what: string) {
  return stringListSchema(MAX_BINDINGS, 253)
    .transform((list) => [...new Set(list.map((s) => s.toLowerCase()))])
    .pipe(z.array(z.string().regex(pattern, `must be a Kubernetes ${what}, "*", or a glob with *`)))
    .default([]);
}

/** Body of a role write. */
export const kubernetesRoleBody = z.strictObject({
  bound_service_account_names: bindingList(NAME_PATTERN, 'service account name').describe(
    'Service account names that may log in ("*" for any; globs with *). Required.',
  ),
  bound_service_account_namespaces: bindingList(NAMESPACE_PATTERN, 'namespace').describe(
    'Namespaces those service accounts may live in ("*" for any; globs with *). Required.',
  ),
  audience: z.string().min(1).max(256).nullable().default(null).describe('If set, the token must be issued for this audience.'),
  alias_name_source: z
    .enum(['serviceaccount_uid', 'serviceaccount_name'])
    .default('serviceaccount_uid')
    .describe('Alias name: the service account uid (default), or "<namespace>/<name>".'),
  ...tokenFieldsShape,
});

/** A Kubernetes role (TTLs in ms). */
export type KubernetesRole = z.output<typeof kubernetesRoleBody>;

function bindingIssues(field: string, list: readonly string[]): FieldIssue[] {
  if (list.length === 0) return [{ field, reason: 'must not be empty' }];
  if (list.length > 1 && list.includes('*')) return [{ field, reason: 'must not mix "*" with other values' }];
  return [];
}

/** Problems of a (merged) role across fields. */
export function checkKubernetesRole(role: KubernetesRole): FieldIssue[] {
  const issues = [
    ...bindingIssues('bound_service_account_names', role.bound_service_account_names),
    ...bindingIssues('bound_service_account_namespaces', role.bound_service_account_namespaces),
  ];
  if (role.bound_service_account_names[0] === '*' && role.bound_service_account_namespaces[0] === '*') {
    issues.push({ field: 'bound_service_account_names', reason: 'must not be "*" when bound_service_account_namespaces is "*" too' });
  }
  const ttl = ttlProblem(role);
  if (ttl !== null) issues.push({ field: 'token_ttl', reason: ttl });
  return issues;
}

/** A role as stored. */
const storedKubernetesRoleSchema = z.object({
  bound_service_account_names: z.array(z.string()),
  bound_service_account_namespaces: z.array(z.string()),
  audience: z.string().nullable(),
  alias_name_source: z.enum(['serviceaccount_uid', 'serviceaccount_name']),
  ...storedTokenFieldsShape,
});

/** Response schema of a role read. */
export const kubernetesRoleView = storedKubernetesRoleSchema.extend(tokenFieldsViewShape);

/** A role as a read returns it: durations in whole seconds. */
export function roleView(role: KubernetesRole): z.output<typeof kubernetesRoleView> {
  return { ...role, ...tokenFieldsView(role) };
}

/** The role, or null. Throws `ERR_INTERNAL` for an unreadable record. */
export function loadKubernetesRole(storage: Pick<Storage, 'get'>, name: string): Promise<KubernetesRole | null> {
  return loadJson<KubernetesRole>(storage, roleKey(name), storedKubernetesRoleSchema, 'kubernetes role');
}

/** Stores role `name`. */
export function saveKubernetesRole(storage: Pick<Storage, 'put'>, name: string, role: KubernetesRole): Promise<void> {
  return saveJson(storage, roleKey(name), role);
}
