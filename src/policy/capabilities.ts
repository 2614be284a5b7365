/**
 * The one table from a Keygate `Operation` to what a policy must grant for it, and the policy
 * path each face's request is checked on (docs/policies.md, "The namespace").
 */

import type { Operation } from '../core/index.js';
import type { RequestCapability } from './types.js';

/** The capability each operation needs. Actions that change a secret are `update`, as in Vault's KV. */
export const OPERATION_CAPABILITY: Readonly<Record<Operation, RequestCapability>> = {
  read: 'read',
  list: 'list',
  create: 'create',
  update: 'update',
  patch: 'patch',
  delete: 'delete',
  rotate: 'update',
  undelete: 'update',
  destroy: 'update',
  'read-metadata': 'read',
  'write-metadata': 'update',
  'patch-metadata': 'patch',
  'delete-metadata': 'delete',
};

/** The capability `operation` needs. Total over `Operation`; never throws. */
export function capabilityFor(operation: Operation): RequestCapability {
  return OPERATION_CAPABILITY[operation];
}

/** Where a request is authorized: the policy path and the capability. */
export interface PolicyRequest {
  readonly path: string;
  readonly capability: RequestCapability;
}

/**
 * The policy path and capability for `operation` on the canonical logical `path` (no leading
 * or trailing slash) of the secrets or metadata face: actions are checked on `{path}/{action}`,
 * metadata operations on `metadata/{path}`, lists on the folder with a trailing `/`. Never throws.
 */
export function policyRequestFor(operation: Operation, path: string): PolicyRequest {
  const capability = capabilityFor(operation);
  switch (operation) {
    case 'rotate':
    case 'undelete':
    case 'destroy':
      return { path: path === '' ? operation : `${path}/${operation}`, capability };
    case 'read-metadata':
    case 'write-metadata':
    case 'patch-metadata':
    case 'delete-metadata':
      return { path: path === '' ? 'metadata' : `metadata/${path}`, capability };
    case 'list':
      return { path: path === '' ? '' : `${path}/`, capability };
    default:
      return { path, capability };
  }
}
