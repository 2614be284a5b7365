import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PermissionDeniedError, createWebRuntime } from '../core/index.js';
import type { Principal } from '../core/index.js';
import { createMemoryStorage } from '../storage/index.js';
import { createPolicyAuthorizer } from './authorizer.js';
import { policyRequestFor } from './capabilities.js';
import { createPolicyStore } from './store.js';
import type { Operation } from '../core/index.js';

/** The policies of docs/policies.md's worked example, read from the document itself. */
function docPolicies(): Map<string, string> {
  const text = readFileSync(new URL('../../docs/policies.md', import.meta.url), 'utf8');
  const out = new Map<string, string>();
  for (const match of text.matchAll(/<!-- policy: ([a-z0-9._-]+) -->\n```hcl\n([\s\S]*?)```/g)) {
    out.set(match[1] ?? '', match[2] ?? '');
  }
  return out;
}

describe('docs/policies.md worked example', () => {
  it('holds: every policy parses and every documented outcome is what Keygate decides', async () => {
    const policies = docPolicies();
    expect([...policies.keys()]).toEqual(['development', 'testing', 'production', 'ci']);
    const store = createPolicyStore({ storage: createMemoryStorage(), runtime: createWebRuntime() });
    for (const [name, text] of policies) await store.put(name, text);
    const authorizer = createPolicyAuthorizer({ store });
    const who = (...names: string[]): Principal => ({ id: 'x', displayName: 'x', policies: [...names, 'default'], expiresAt: null });
    const decide = async (p: Principal, operation: Operation, path: string): Promise<boolean> => {
      const target = policyRequestFor(operation, path);
      return authorizer.authorize(p, target.path, target.capability).then(
        () => true,
        (error: unknown) => {
          if (error instanceof PermissionDeniedError) return false;
          throw error;
        },
      );
    };

    const ci = who('ci');
    expect(await decide(ci, 'read', 'testing/app/db')).toBe(true);
    expect(await decide(ci, 'list', 'testing')).toBe(true);
    expect(await decide(ci, 'update', 'testing/app/db')).toBe(false);
    expect(await decide(ci, 'rotate', 'testing/app/db')).toBe(false);
    expect(await decide(ci, 'read-metadata', 'testing/app/db')).toBe(false);
    expect(await decide(ci, 'read', 'production/app/db')).toBe(false);
    expect(await authorizer.authorize(ci, 'auth/token/lookup-self', 'read')).toBeUndefined();

    const tester = who('testing');
    expect(await decide(tester, 'rotate', 'testing/app/db')).toBe(true);
    expect(await decide(tester, 'destroy', 'testing/app')).toBe(false);
    expect(await decide(tester, 'destroy', 'testing/app/db')).toBe(false);
    expect(await decide(tester, 'delete', 'testing/app/db')).toBe(false);
    expect(await decide(tester, 'read-metadata', 'testing/app/db')).toBe(true);
    // The documented limit: a third level is not covered by the two `+` denies.
    expect(await decide(tester, 'destroy', 'testing/a/b/c')).toBe(true);

    const app = who('production');
    expect(await decide(app, 'read', 'production/app/db')).toBe(true);
    expect(await decide(app, 'read', 'production/admin/root-ca')).toBe(false);
    expect(await decide(app, 'update', 'production/app/db')).toBe(false);

    const dev = who('development');
    for (const op of ['create', 'update', 'patch', 'delete', 'rotate', 'undelete', 'destroy', 'read-metadata', 'write-metadata', 'delete-metadata'] as const) {
      expect(await decide(dev, op, 'development/app/db')).toBe(true);
    }
    expect(await decide(dev, 'read', 'testing/app/db')).toBe(false);
  });
});
