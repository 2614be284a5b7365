import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/index.js';
import { createMemoryStorage } from '../../storage/memory.js';
import { createKvHarness } from './test-harness.js';

const code = async (kv: ReturnType<typeof createKvHarness>, promise: Promise<unknown>) => (await kv.failure(promise)).code;

describe('kv: check-and-set', () => {
  it('cas=0 creates only when the secret has no current version', async () => {
    const kv = createKvHarness(createMemoryStorage());
    expect((await kv.write('s', { a: 1 }, { params: { cas: '0' } })).data).toMatchObject({ version: 1 });
    const err = await kv.failure(kv.write('s', { a: 2 }, { params: { cas: '0' } }));
    expect(err.code).toBe('ERR_PRECONDITION_FAILED');
    expect(err.status).toBe(412);
    expect(await kv.readSecret('s')).toEqual({ a: 1 });
  });

  it('cas=n succeeds only when the current version is n', async () => {
    const kv = createKvHarness(createMemoryStorage());
    await kv.write('s', { a: 1 });
    await kv.write('s', { a: 2 });
    expect(await code(kv, kv.write('s', { a: 3 }, { params: { cas: '1' } }))).toBe('ERR_PRECONDITION_FAILED');
    expect(await code(kv, kv.write('s', { a: 3 }, { params: { cas: '3' } }))).toBe('ERR_PRECONDITION_FAILED');
    expect((await kv.write('s', { a: 3 }, { params: { cas: '2' } })).data).toMatchObject({ version: 3 });
  });

  it('refuses a cas that is not a non-negative integer', async () => {
    const kv = createKvHarness(createMemoryStorage());
    for (const cas of ['-1', 'x', '1.0', '']) {
      const err = await kv.failure(kv.write('s', { a: 1 }, { params: { cas } }));
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.details).toEqual([{ field: 'cas', reason: `must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}` }]);
    }
  });

  it('If-Match: "n" is cas=n; several tags match any of them', async () => {
    const kv = createKvHarness(createMemoryStorage());
    await kv.write('s', { a: 1 });
    expect(await code(kv, kv.write('s', { a: 2 }, { preconditions: { ifMatch: ['2'] } }))).toBe('ERR_PRECONDITION_FAILED');
    expect((await kv.write('s', { a: 2 }, { preconditions: { ifMatch: ['1'] } })).data).toMatchObject({ version: 2 });
    expect((await kv.write('s', { a: 3 }, { preconditions: { ifMatch: ['9', '2'] } })).data).toMatchObject({ version: 3 });
  });

  it('a non-numeric or weak entity tag never matches', async () => {
    const kv = createKvHarness(createMemoryStorage());
    await kv.write('s', { a: 1 });
    for (const tag of ['W/"1"', 'abc', '01', '1 ', '0']) {
      expect(await code(kv, kv.write('s', { a: 2 }, { preconditions: { ifMatch: [tag] } }))).toBe('ERR_PRECONDITION_FAILED');
    }
  });

  it('If-Match: * requires the secret to exist', async () => {
    const kv = createKvHarness(createMemoryStorage());
    expect(await code(kv, kv.write('s', { a: 1 }, { preconditions: { ifMatch: ['*'] } }))).toBe('ERR_PRECONDITION_FAILED');
    await kv.write('s', { a: 1 });
    expect((await kv.write('s', { a: 2 }, { preconditions: { ifMatch: ['*'] } })).data).toMatchObject({ version: 2 });
  });

  it('If-None-Match: * is cas=0 (create only)', async () => {
    const kv = createKvHarness(createMemoryStorage());
    expect((await kv.write('s', { a: 1 }, { preconditions: { ifNoneMatch: ['*'] } })).data).toMatchObject({ version: 1 });
    expect(await code(kv, kv.write('s', { a: 2 }, { preconditions: { ifNoneMatch: ['*'] } }))).toBe('ERR_PRECONDITION_FAILED');
  });

  it('If-None-Match: "n" fails when the current version is n', async () => {
    const kv = createKvHarness(createMemoryStorage());
    await kv.write('s', { a: 1 });
    expect(await code(kv, kv.write('s', { a: 2 }, { preconditions: { ifNoneMatch: ['1'] } }))).toBe('ERR_PRECONDITION_FAILED');
    expect((await kv.write('s', { a: 2 }, { preconditions: { ifNoneMatch: ['7'] } })).data).toMatchObject({ version: 2 });
  });

  it('refuses cas and an entity tag that disagree, and accepts ones that agree', async () => {
    const kv = createKvHarness(createMemoryStorage());
    await kv.write('s', { a: 1 });
    const disagreements = [
      { params: { cas: '1' }, preconditions: { ifMatch: ['2'] } },
      { params: { cas: '0' }, preconditions: { ifMatch: ['*'] } },
      { params: { cas: '1' }, preconditions: { ifNoneMatch: ['*'] } },
    ];
    for (const init of disagreements) {
      const err = await kv.failure(kv.write('s', { a: 2 }, init));
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.details).toEqual([{ field: 'cas', reason: 'disagrees with the If-Match/If-None-Match precondition' }]);
    }
    expect((await kv.write('s', { a: 2 }, { params: { cas: '1' }, preconditions: { ifMatch: ['1'] } })).data).toMatchObject({ version: 2 });
    expect((await kv.write('s', { a: 3 }, { params: { cas: '2' }, preconditions: { ifMatch: ['*'] } })).data).toMatchObject({ version: 3 });
    expect((await kv.write('n', { a: 1 }, { params: { cas: '0' }, preconditions: { ifNoneMatch: ['*'] } })).data).toMatchObject({ version: 1 });
  });

  it('treats empty precondition lists as absent', async () => {
    const kv = createKvHarness(createMemoryStorage());
    expect((await kv.write('s', { a: 1 }, { preconditions: { ifMatch: [], ifNoneMatch: [] } })).data).toMatchObject({ version: 1 });
  });
});

describe('kv: cas_required', () => {
  it('answers 428 for an unconditional write on a mount that requires cas', async () => {
    const kv = createKvHarness(createMemoryStorage(), { cas_required: true });
    const err = await kv.failure(kv.write('s', { a: 1 }));
    expect(err.code).toBe('ERR_PRECONDITION_REQUIRED');
    expect(err.status).toBe(428);
    expect((await kv.write('s', { a: 1 }, { params: { cas: '0' } })).data).toMatchObject({ version: 1 });
    expect((await kv.write('s', { a: 2 }, { preconditions: { ifMatch: ['1'] } })).data).toMatchObject({ version: 2 });
    expect(await code(kv, kv.call('patch', 's', { data: { a: 3 } }))).toBe('ERR_PRECONDITION_REQUIRED');
  });

  it('answers 428 for a secret whose metadata requires cas', async () => {
    const kv = createKvHarness(createMemoryStorage());
    await kv.write('s', { a: 1 });
    await kv.call('write-metadata', 's', { data: { cas_required: true } });
    expect(await code(kv, kv.write('s', { a: 2 }))).toBe('ERR_PRECONDITION_REQUIRED');
    expect((await kv.write('s', { a: 2 }, { params: { cas: '1' } })).data).toMatchObject({ version: 2 });
    // Other secrets of the mount are unaffected.
    expect((await kv.write('t', { a: 1 })).data).toMatchObject({ version: 1 });
  });

  it('refuses conditional headers on operations that cannot honour them', async () => {
    const kv = createKvHarness(createMemoryStorage());
    await kv.write('s', { a: 1 });
    const err = await kv.failure(kv.call('delete', 's', { preconditions: { ifMatch: ['1'] } }));
    expect(err).toBeInstanceOf(ValidationError);
  });
});
