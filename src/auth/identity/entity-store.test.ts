import { describe, expect, it } from 'vitest';
import { createWebRuntime, isGatewayError } from '../../core/index.js';
import { createMemoryStorage } from '../../storage/index.js';
import { createEntityStore } from './entity-store.js';

describe('entity store', () => {
  it('creates one entity per alias, shared by concurrent first logins, and keeps it', async () => {
    const storage = createMemoryStorage();
    const entities = createEntityStore({ storage, runtime: createWebRuntime() });
    const mount = { accessor: 'auth_approle_1', type: 'approle' };
    const [a, b] = await Promise.all([entities.resolve(mount, 'role-1'), entities.resolve(mount, 'role-1')]);
    expect(a.id).toBe(b.id);
    expect(a.aliases).toEqual([{ mountAccessor: 'auth_approle_1', mountType: 'approle', name: 'role-1', metadata: {} }]);
    const refreshed = await entities.resolve(mount, 'role-1', { team: 'payments' });
    expect(refreshed.aliases[0]?.metadata).toEqual({ team: 'payments' });
    const other = await entities.resolve({ accessor: 'auth_jwt_1', type: 'jwt' }, 'role-1');
    expect(other.id).not.toBe(a.id);
    const again = createEntityStore({ storage, runtime: createWebRuntime() });
    expect((await again.resolve(mount, 'role-1')).id).toBe(a.id);
  });

  it('updates name and metadata, and 404s for unknown ids', async () => {
    const entities = createEntityStore({ storage: createMemoryStorage(), runtime: createWebRuntime() });
    const e = await entities.resolve({ accessor: 'm', type: 'jwt' }, 'alice');
    const updated = await entities.update(e.id, { name: 'alice', metadata: { team: 'payments' } });
    expect(updated).toMatchObject({ name: 'alice', metadata: { team: 'payments' } });
    expect((await entities.get(e.id))?.metadata).toEqual({ team: 'payments' });
    const err = await entities.update('00000000-0000-4000-8000-000000000000', { name: 'x' }).catch((x: unknown) => x);
    expect(isGatewayError(err, 'ERR_NOT_FOUND')).toBe(true);
    expect(await entities.get('../../x')).toBeNull();
  });
});
