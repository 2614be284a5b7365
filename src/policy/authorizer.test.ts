import { describe, expect, it } from 'vitest';
import { PermissionDeniedError, createWebRuntime } from '../core/index.js';
import type { Entity, Principal } from '../core/index.js';
import { createMemoryStorage } from '../storage/index.js';
import { createPolicyAuthorizer } from './authorizer.js';
import { createPolicyStore } from './store.js';
import type { RequestCapability } from './types.js';

function principal(policies: string[], entity?: Entity): Principal {
  return { id: entity?.id ?? 'p', displayName: 'p', policies, expiresAt: null, ...(entity === undefined ? {} : { entity }) };
}

const entity = (name: string): Entity => ({ id: `ent-${name}`, name, metadata: {}, aliases: [] });

function setup(opts: { maxStalenessMs?: number } = {}) {
  let t = 1_000_000;
  const runtime = createWebRuntime({ now: () => t });
  const storage = createMemoryStorage();
  const store = createPolicyStore({ storage, runtime, maxStalenessMs: opts.maxStalenessMs ?? 1000 });
  const authorizer = createPolicyAuthorizer({ store });
  const allowed = async (who: Principal, path: string, capability: RequestCapability, extra: Parameters<typeof authorizer.authorize>[3] = {}) => {
    try {
      await authorizer.authorize(who, path, capability, extra);
      return true;
    } catch (error) {
      if (error instanceof PermissionDeniedError) return false;
      throw error;
    }
  };
  return { storage, runtime, store, authorizer, allowed, advance: (ms: number) => (t += ms) };
}

describe('policy authorizer', () => {
  it('lets the root policy do everything, sudo included', async () => {
    const { allowed, authorizer } = setup();
    const root = principal(['root']);
    expect(await allowed(root, 'sys/seal', 'update', { sudo: true })).toBe(true);
    expect(await allowed(root, 'anything/at/all', 'delete')).toBe(true);
    expect(await authorizer.capabilities(root, ['a', 'sys/mounts'])).toEqual({ a: ['root'], 'sys/mounts': ['root'] });
  });

  it('refuses root beside other policies, as Vault refuses to build that ACL', async () => {
    const { allowed, authorizer } = setup();
    expect(await allowed(principal(['default', 'root']), 'secret/x', 'read')).toBe(false);
    expect(await authorizer.capabilities(principal(['root', 'dev']), ['x'])).toEqual({ x: ['deny'] });
  });

  it('denies by default, and says only "permission denied"', async () => {
    const { authorizer, store } = setup();
    await store.put('dev', 'path "secret/app/*" { capabilities = ["deny"] }');
    const error = await authorizer.authorize(principal(['dev']), 'secret/app/db', 'read').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect(error instanceof PermissionDeniedError ? [error.message, error.code, error.details] : null).toEqual(['permission denied', 'ERR_PERMISSION_DENIED', undefined]);
    expect(await authorizer.authorize(principal([]), 'secret/x', 'read').catch((e: unknown) => e)).toBeInstanceOf(PermissionDeniedError);
  });

  it('ignores policies that do not exist, and names in any case', async () => {
    const { allowed, store } = setup();
    await store.put('dev', 'path "secret/*" { capabilities = ["read"] }');
    expect(await allowed(principal(['ghost', 'dev', 'Not A Name']), 'secret/x', 'read')).toBe(true);
    expect(await allowed(principal(['DEV']), 'secret/x', 'read')).toBe(true);
    expect(await allowed(principal(['ghost']), 'secret/x', 'read')).toBe(false);
  });

  it('applies the default policy, templated for the entity', async () => {
    const { allowed, authorizer } = setup();
    const alice = principal(['default'], entity('alice'));
    expect(await allowed(alice, 'auth/token/lookup-self', 'read')).toBe(true);
    expect(await allowed(alice, 'identity/entity/name/alice', 'read')).toBe(true);
    expect(await allowed(alice, 'identity/entity/name/bob', 'read')).toBe(false);
    expect(await allowed(principal(['default']), 'identity/entity/name/alice', 'read')).toBe(false);
    expect(await authorizer.capabilities(alice, ['sys/capabilities-self', 'secret/x'])).toEqual({ 'sys/capabilities-self': ['update'], 'secret/x': ['deny'] });
  });

  it('keeps templated ACLs apart per entity, even from its cache', async () => {
    const { allowed, store } = setup();
    await store.put('home', 'path "home/{{identity.entity.name}}/*" { capabilities = ["read", "update"] }');
    const alice = principal(['home'], entity('alice'));
    const bob = principal(['home'], entity('bob'));
    for (let i = 0; i < 2; i++) {
      expect(await allowed(alice, 'home/alice/notes', 'read')).toBe(true);
      expect(await allowed(alice, 'home/bob/notes', 'read')).toBe(false);
      expect(await allowed(bob, 'home/bob/notes', 'read')).toBe(true);
      expect(await allowed(bob, 'home/alice/notes', 'read')).toBe(false);
    }
    expect(await allowed(principal(['home'], entity('*')), 'home/alice/notes', 'read')).toBe(false);
  });

  it('keeps templated ACLs apart per entity when principals share one policy list', async () => {
    const { allowed, store } = setup();
    await store.put('home', 'path "home/{{identity.entity.name}}/*" { capabilities = ["read"] }');
    // One array for both: the authorizer remembers the last ACL per list, so it must tell the entities apart.
    const policies = ['home'];
    const alice = principal(policies, entity('alice'));
    const bob = principal(policies, entity('bob'));
    for (let i = 0; i < 3; i++) {
      expect(await allowed(alice, 'home/alice/x', 'read')).toBe(true);
      expect(await allowed(alice, 'home/bob/x', 'read')).toBe(false);
      expect(await allowed(bob, 'home/bob/x', 'read')).toBe(true);
      expect(await allowed(bob, 'home/alice/x', 'read')).toBe(false);
    }
  });

  it('applies a policy change to the very next request of a principal it already answered', async () => {
    const { allowed, store } = setup();
    await store.put('app', 'path "app/*" { capabilities = ["read"] }');
    const who = principal(['app', 'default']);
    for (let i = 0; i < 3; i++) expect(await allowed(who, 'app/x', 'read')).toBe(true);
    await store.put('app', 'path "app/*" { capabilities = ["deny"] }');
    expect(await allowed(who, 'app/x', 'read')).toBe(false);
    await store.delete('app');
    expect(await allowed(who, 'app/x', 'read')).toBe(false);
    await store.put('app', 'path "app/x" { capabilities = ["read"] }');
    expect(await allowed(who, 'app/x', 'read')).toBe(true);
    expect(await allowed(who, 'app/y', 'read')).toBe(false);
  });

  it('needs sudo on the deciding rule when asked for it', async () => {
    const { allowed, store } = setup();
    await store.put('ops', 'path "sys/mounts/*" { capabilities = ["update", "sudo"] }\npath "sys/policies/acl/*" { capabilities = ["update"] }');
    const ops = principal(['ops']);
    expect(await allowed(ops, 'sys/mounts/kv', 'update', { sudo: true })).toBe(true);
    expect(await allowed(ops, 'sys/policies/acl/x', 'update', { sudo: true })).toBe(false);
    expect(await allowed(ops, 'sys/policies/acl/x', 'update')).toBe(true);
  });

  it('checks parameter constraints against the request body', async () => {
    const { allowed, store } = setup();
    await store.put('w', 'path "config/app" {\n  capabilities = ["create", "update"]\n  allowed_parameters = { "level" = ["info", "warn"] }\n}');
    const w = principal(['w']);
    expect(await allowed(w, 'config/app', 'update', { data: { level: 'warn' } })).toBe(true);
    expect(await allowed(w, 'config/app', 'update', { data: { level: 'debug' } })).toBe(false);
    expect(await allowed(w, 'config/app', 'update', { data: { other: 1 } })).toBe(false);
  });

  it('recompiles at once after a local policy change', async () => {
    const { allowed, store } = setup({ maxStalenessMs: 3_600_000 });
    const dev = principal(['dev']);
    await store.put('dev', 'path "secret/*" { capabilities = ["read"] }');
    expect(await allowed(dev, 'secret/x', 'read')).toBe(true);
    await store.put('dev', 'path "secret/*" { capabilities = ["list"] }');
    expect(await allowed(dev, 'secret/x', 'read')).toBe(false);
    await store.delete('dev');
    expect(await allowed(dev, 'secret/', 'list')).toBe(false);
  });

  it('sees another replica\'s change within the staleness bound', async () => {
    const { allowed, store, storage, runtime, advance } = setup({ maxStalenessMs: 1000 });
    const other = createPolicyStore({ storage, runtime });
    const dev = principal(['dev']);
    await store.put('dev', 'path "secret/*" { capabilities = ["read"] }');
    expect(await allowed(dev, 'secret/x', 'read')).toBe(true);
    await other.put('dev', 'path "secret/*" { capabilities = ["deny"] }');
    advance(1001);
    expect(await allowed(dev, 'secret/x', 'read')).toBe(false);
  });

  it('fails closed when storage fails', async () => {
    const { authorizer, storage } = setup();
    await storage.close();
    const error = await authorizer.authorize(principal(['dev']), 'secret/x', 'read').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE' });
  });

  it('decides from cached policies without touching storage, and compiles the ACL once per policy set', async () => {
    const { store, storage, runtime } = setup({ maxStalenessMs: 3_600_000 });
    await store.put('dev', 'path "secret/*" { capabilities = ["read"] }');
    let reads = 0;
    const counted = createPolicyStore({ storage: { ...storage, get: (key) => (reads++, storage.get(key)) }, runtime, maxStalenessMs: 3_600_000 });
    let gets = 0;
    const authorizer = createPolicyAuthorizer({ store: { get: (name) => (gets++, counted.get(name)), peek: (name) => counted.peek(name) } });
    const dev = principal(['dev', 'default']);
    await authorizer.authorize(dev, 'secret/x', 'read');
    const [readsAfterFirst, getsAfterFirst] = [reads, gets];
    expect(readsAfterFirst).toBeGreaterThan(0);
    for (let i = 0; i < 100; i++) await authorizer.authorize(dev, 'secret/x', 'read');
    // Another principal object with an equal list shares the compiled ACL too.
    await authorizer.authorize(principal(['default', 'dev']), 'secret/y', 'read');
    expect([reads, gets]).toEqual([readsAfterFirst, getsAfterFirst]);
    await expect(authorizer.authorize(dev, 'other/x', 'read')).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it('never trusts a policy list it has seen before without comparing it: an array changed in place is honoured', async () => {
    const { allowed, store } = setup();
    await store.put('dev', 'path "secret/*" { capabilities = ["read"] }');
    await store.put('ops', 'path "ops/*" { capabilities = ["read"] }');
    const policies = ['dev'];
    const who = principal(policies);
    expect(await allowed(who, 'secret/x', 'read')).toBe(true);
    expect(await allowed(who, 'ops/x', 'read')).toBe(false);
    policies[0] = 'ops';
    expect(await allowed(who, 'secret/x', 'read')).toBe(false);
    expect(await allowed(who, 'ops/x', 'read')).toBe(true);
    policies.push('dev');
    expect(await allowed(who, 'secret/x', 'read')).toBe(true);
  });

  it('peeks only fresh entries: a stale one is read again before it decides', async () => {
    const { store, storage, runtime, advance } = setup({ maxStalenessMs: 1000 });
    await store.put('dev', 'path "secret/*" { capabilities = ["read"] }');
    expect(store.peek('dev')?.raw).toContain('secret/*');
    expect(store.peek('root')).toBeNull();
    expect(store.peek('never-read')).toBeUndefined();
    await createPolicyStore({ storage, runtime }).put('dev', 'path "secret/*" { capabilities = ["deny"] }');
    expect(store.peek('dev')?.raw).toContain('read');
    advance(1001);
    expect(store.peek('dev')).toBeUndefined();
    expect((await store.get('dev'))?.raw).toContain('deny');
    expect(store.peek('dev')?.raw).toContain('deny');
  });

  it('answers capabilities for several paths, keyed even by awkward names', async () => {
    const { authorizer, store } = setup();
    await store.put('dev', 'path "secret/*" { capabilities = ["read", "list"] }\npath "secret/admin/*" { capabilities = ["deny"] }');
    const result = await authorizer.capabilities(principal(['dev']), ['secret/a', 'secret/admin/b', '__proto__', 'elsewhere']);
    expect(result).toEqual({ 'secret/a': ['list', 'read'], 'secret/admin/b': ['deny'], ['__proto__']: ['deny'], elsewhere: ['deny'] });
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
  });
});
