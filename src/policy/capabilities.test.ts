import { describe, expect, it } from 'vitest';
import type { Operation } from '../core/index.js';
import { OPERATION_CAPABILITY, capabilityFor, policyRequestFor } from './capabilities.js';

describe('operation to capability', () => {
  it('maps every operation as docs/policies.md says', () => {
    const expected: Record<Operation, string> = {
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
    expect(OPERATION_CAPABILITY).toEqual(expected);
    for (const [op, cap] of Object.entries(expected)) expect(capabilityFor(op as Operation)).toBe(cap);
  });

  it('names the policy path of each face', () => {
    expect(policyRequestFor('read', 'database/postgres')).toEqual({ path: 'database/postgres', capability: 'read' });
    expect(policyRequestFor('create', 'database/postgres')).toEqual({ path: 'database/postgres', capability: 'create' });
    expect(policyRequestFor('list', 'database')).toEqual({ path: 'database/', capability: 'list' });
    expect(policyRequestFor('list', '')).toEqual({ path: '', capability: 'list' });
    expect(policyRequestFor('rotate', 'database/postgres')).toEqual({ path: 'database/postgres/rotate', capability: 'update' });
    expect(policyRequestFor('undelete', 'app/db')).toEqual({ path: 'app/db/undelete', capability: 'update' });
    expect(policyRequestFor('destroy', 'app/db')).toEqual({ path: 'app/db/destroy', capability: 'update' });
    expect(policyRequestFor('read-metadata', 'app/db')).toEqual({ path: 'metadata/app/db', capability: 'read' });
    expect(policyRequestFor('write-metadata', 'app/db')).toEqual({ path: 'metadata/app/db', capability: 'update' });
    expect(policyRequestFor('patch-metadata', 'app/db')).toEqual({ path: 'metadata/app/db', capability: 'patch' });
    expect(policyRequestFor('delete-metadata', 'app/db')).toEqual({ path: 'metadata/app/db', capability: 'delete' });
  });
});

