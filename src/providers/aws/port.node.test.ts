/**
 * The AWS Secrets Manager port against moto's server: every method, the stage cycle,
 * deletes and restores, paging, tags, binary values, `expectCurrent`, cancellation.
 */

import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Sensitive } from '../../core/index.js';
import { AWS_NAMING, createNameMapper } from '../naming.js';
import { ProviderError } from '../types.js';
import type { ProviderValue, SecretProvider } from '../types.js';
import { SecretsManagerClient, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { awsClientConfig } from './port.node.js';
import { motoOptions, motoPort, motoSuite, resetMoto, startMoto } from './test-moto.node.js';
import type { MotoServer } from './test-moto.node.js';

const { skip } = motoSuite('aws secrets manager port');

const text = (s: string): ProviderValue => ({ kind: 'text', text: new Sensitive(s) });
const bin = (bytes: number[]): ProviderValue => ({ kind: 'binary', bytes: new Sensitive(new Uint8Array(bytes)) });
const textOf = (v: ProviderValue | undefined): string | undefined => (v?.kind === 'text' ? v.text.reveal() : undefined);
const signal = () => AbortSignal.timeout(15_000);
const kindOf = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof ProviderError ? e.kind : `other:${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`),
  );

describe.skipIf(skip)('aws secrets manager port (moto)', () => {
  let moto: MotoServer;
  let p: SecretProvider;

  beforeAll(async () => {
    moto = await startMoto();
    p = motoPort(moto);
  }, 60_000);
  afterAll(async () => {
    await p?.close?.();
    await moto?.stop();
  });
  beforeEach(async () => {
    await resetMoto(moto);
  });

  it('validates with a cheap authenticated call', async () => {
    await expect(p.validate(signal())).resolves.toBeUndefined();
  });

  it('creates a secret with tags and reads it as current and by version id', async () => {
    expect(await p.read('app/db', { stage: 'current' }, signal())).toBeNull();
    const v1 = await p.create('app/db', text('{"password":"one"}'), { owner: 'keygate', team: 'payments' }, signal());
    expect(v1.stages).toEqual(['current']);
    expect(v1.id).toMatch(/^[0-9a-f-]{36}$/);
    const current = await p.read('app/db', { stage: 'current' }, signal());
    expect(textOf(current?.value)).toBe('{"password":"one"}');
    expect(current?.version).toMatchObject({ id: v1.id, stages: ['current'], enabled: true });
    expect(current?.etag).toBeNull();
    expect(textOf((await p.read('app/db', { versionId: v1.id }, signal()))?.value)).toBe('{"password":"one"}');
    const info = await p.describe('app/db', signal());
    expect(info).toMatchObject({ name: 'app/db', tags: { owner: 'keygate', team: 'payments' }, deleted: false, etag: null });
    expect(info?.versions.map((v) => v.id)).toEqual([v1.id]);
    expect(await kindOf(p.create('app/db', text('again'), {}, signal()))).toBe('conflict');
  });

  it('reads unknown versions, stages and secrets as null', async () => {
    const v1 = await p.create('s', text('one'), {}, signal());
    expect(await p.read('s', { stage: 'pending' }, signal())).toBeNull();
    expect(await p.read('s', { stage: 'previous' }, signal())).toBeNull();
    expect(await p.read('s', { versionId: '00000000-0000-4000-8000-000000000000' }, signal())).toBeNull();
    expect(await p.read('s', { versionId: '3' }, signal())).toBeNull();
    expect(await p.read('missing', { versionId: v1.id }, signal())).toBeNull();
    expect(await p.describe('missing', signal())).toBeNull();
  });

  it('adds current versions: the old current becomes previous', async () => {
    const v1 = await p.create('s', text('one'), {}, signal());
    const v2 = await p.addVersion('s', text('two'), { stage: 'current' }, signal());
    expect(v2.stages).toEqual(['current']);
    expect(textOf((await p.read('s', { stage: 'current' }, signal()))?.value)).toBe('two');
    const previous = await p.read('s', { stage: 'previous' }, signal());
    expect(previous?.version.id).toBe(v1.id);
    expect(textOf(previous?.value)).toBe('one');
    const info = await p.describe('s', signal());
    expect(info?.versions.map((v) => [v.id, v.stages])).toEqual([
      [v2.id, ['current']],
      [v1.id, ['previous']],
    ]);
  });

  it('describes at most the newest 100 versions', async () => {
    await p.create('many', text('v0'), {}, signal());
    let last = '';
    for (let i = 1; i <= 104; i++) last = (await p.addVersion('many', text(`v${i}`), { stage: 'current' }, signal())).id;
    const versions = (await p.describe('many', signal()))?.versions ?? [];
    expect(versions).toHaveLength(100);
    expect(versions[0]).toMatchObject({ id: last, stages: ['current'] });
    expect(new Set(versions.map((v) => v.id)).size).toBe(100);
  });

  it('runs a full rotation: pending, promote, previous, and again', async () => {
    const v1 = await p.create('rot', text('one'), {}, signal());
    const v2 = await p.addVersion('rot', text('two'), { stage: 'pending' }, signal());
    expect(v2.stages).toEqual(['pending']);
    expect(textOf((await p.read('rot', { stage: 'current' }, signal()))?.value)).toBe('one');
    expect(textOf((await p.read('rot', { stage: 'pending' }, signal()))?.value)).toBe('two');

    await p.promote('rot', v2.id, signal());
    expect((await p.read('rot', { stage: 'current' }, signal()))?.version).toMatchObject({ id: v2.id, stages: ['current'] });
    expect((await p.read('rot', { stage: 'previous' }, signal()))?.version.id).toBe(v1.id);
    expect(await p.read('rot', { stage: 'pending' }, signal())).toBeNull();

    // Promoting again (a retry, or a resumed rotation) changes nothing.
    await p.promote('rot', v2.id, signal());
    expect((await p.read('rot', { stage: 'current' }, signal()))?.version.id).toBe(v2.id);
    expect((await p.read('rot', { stage: 'previous' }, signal()))?.version.id).toBe(v1.id);

    const v3 = await p.addVersion('rot', text('three'), { stage: 'pending' }, signal());
    await p.promote('rot', v3.id, signal());
    const stages = Object.fromEntries((await p.describe('rot', signal()))?.versions.map((v) => [v.id, v.stages]) ?? []);
    expect(stages).toEqual({ [v3.id]: ['current'], [v2.id]: ['previous'], [v1.id]: [] });
    expect(textOf((await p.read('rot', { versionId: v1.id }, signal()))?.value)).toBe('one');
  });

  it('keeps exactly one current when a version is written after a rotation', async () => {
    const v1 = await p.create('after', text('one'), {}, signal());
    const v2 = await p.addVersion('after', text('two'), { stage: 'pending' }, signal());
    await p.promote('after', v2.id, signal());
    const v3 = await p.addVersion('after', text('three'), { stage: 'current', expectCurrent: v2.id }, signal());
    const stages = Object.fromEntries((await p.describe('after', signal()))?.versions.map((v) => [v.id, v.stages]) ?? []);
    expect(stages).toEqual({ [v3.id]: ['current'], [v2.id]: ['previous'], [v1.id]: [] });
  });

  it('finishes a promote that was interrupted between its two stage moves', async () => {
    const v1 = await p.create('crash', text('one'), {}, signal());
    const v2 = await p.addVersion('crash', text('two'), { stage: 'pending' }, signal());
    // The first half of a promote, as a crash would leave it: AWSCURRENT moved, AWSPENDING still on v2.
    const sdk = new SecretsManagerClient(awsClientConfig(motoOptions(moto)));
    await sdk.send(new UpdateSecretVersionStageCommand({ SecretId: 'crash', VersionStage: 'AWSCURRENT', MoveToVersionId: v2.id, RemoveFromVersionId: v1.id }));
    sdk.destroy();
    expect((await p.read('crash', { stage: 'current' }, signal()))?.version.stages).toEqual(['current', 'pending']);
    await p.promote('crash', v2.id, signal());
    expect((await p.read('crash', { stage: 'current' }, signal()))?.version).toMatchObject({ id: v2.id, stages: ['current'] });
    expect((await p.read('crash', { stage: 'previous' }, signal()))?.version.id).toBe(v1.id);
    expect(await p.read('crash', { stage: 'pending' }, signal())).toBeNull();
  });

  it('refuses to promote a version that does not exist', async () => {
    await p.create('s', text('one'), {}, signal());
    expect(await kindOf(p.promote('s', '00000000-0000-4000-8000-000000000000', signal()))).toBe('not_found');
    expect(await kindOf(p.promote('s', 'nope', signal()))).toBe('not_found');
    expect(await kindOf(p.promote('missing', '00000000-0000-4000-8000-000000000000', signal()))).toBe('not_found');
  });

  it('discards a pending version without touching current, and again as a no-op', async () => {
    const v1 = await p.create('d', text('one'), {}, signal());
    const pending = await p.addVersion('d', text('two'), { stage: 'pending' }, signal());
    await p.discardPending('d', pending.id, signal());
    expect(await p.read('d', { stage: 'pending' }, signal())).toBeNull();
    expect((await p.read('d', { stage: 'current' }, signal()))?.version.id).toBe(v1.id);
    await p.discardPending('d', pending.id, signal());
    expect(await kindOf(p.discardPending('d', '00000000-0000-4000-8000-000000000000', signal()))).toBe('not_found');
  });

  it('checks expectCurrent before writing, and refuses a stale one', async () => {
    const v1 = await p.create('cas', text('one'), {}, signal());
    const v2 = await p.addVersion('cas', text('two'), { stage: 'current', expectCurrent: v1.id }, signal());
    expect(await kindOf(p.addVersion('cas', text('three'), { stage: 'current', expectCurrent: v1.id }, signal()))).toBe('precondition_failed');
    expect(await kindOf(p.addVersion('cas', text('three'), { stage: 'pending', expectCurrent: v1.id }, signal()))).toBe('precondition_failed');
    expect((await p.read('cas', { stage: 'current' }, signal()))?.version.id).toBe(v2.id);
    expect(await p.read('cas', { stage: 'pending' }, signal())).toBeNull();
    await expect(p.addVersion('cas', text('three'), { stage: 'pending', expectCurrent: v2.id }, signal())).resolves.toMatchObject({ stages: ['pending'] });
    expect(await kindOf(p.addVersion('missing', text('x'), { stage: 'current', expectCurrent: v2.id }, signal()))).toBe('not_found');
  });

  it('deletes recoverably: hidden from reads and lists, writes refused, restorable', async () => {
    await p.create('del', text('one'), { owner: 'keygate' }, signal());
    await p.delete('del', { force: false }, signal());
    expect(await p.read('del', { stage: 'current' }, signal())).toBeNull();
    expect((await p.describe('del', signal()))?.deleted).toBe(true);
    expect((await p.list({ prefix: '', pageSize: 100 }, signal())).names).not.toContain('del');
    // AWS refuses PutSecretValue on a deleted secret (mapped in errors.node.test.ts); moto accepts it, so only the checked path is tested here.
    expect(await kindOf(p.addVersion('del', text('two'), { stage: 'current', expectCurrent: 'x' }, signal()))).toBe('deleted');
    expect(await kindOf(p.promote('del', '00000000-0000-4000-8000-000000000000', signal()))).toBe('deleted');
    expect(await kindOf(p.create('del', text('two'), {}, signal()))).toBe('conflict');
    // Deleting again is not an error: it is already done.
    await p.delete('del', { force: false }, signal());
    await p.restore('del', signal());
    expect(textOf((await p.read('del', { stage: 'current' }, signal()))?.value)).toBe('one');
    expect((await p.describe('del', signal()))?.deleted).toBe(false);
  });

  it('deletes for good with force, and answers not_found for missing secrets', async () => {
    await p.create('gone', text('one'), {}, signal());
    await p.delete('gone', { force: true }, signal());
    expect(await p.describe('gone', signal())).toBeNull();
    expect(await p.read('gone', { stage: 'current' }, signal())).toBeNull();
    expect(await kindOf(p.restore('gone', signal()))).toBe('not_found');
    expect(await kindOf(p.delete('gone', { force: true }, signal()))).toBe('not_found');
    expect(await kindOf(p.delete('gone', { force: false }, signal()))).toBe('not_found');
    // A recoverably deleted secret can still be purged.
    await p.create('purge', text('one'), {}, signal());
    await p.delete('purge', { force: false }, signal());
    await p.delete('purge', { force: true }, signal());
    expect(await p.describe('purge', signal())).toBeNull();
    await p.create('purge', text('new'), {}, signal());
  });

  it('lists more than one page under a prefix, with nothing lost, repeated or foreign', async () => {
    const mapper = createNameMapper(AWS_NAMING, 'kg/');
    const names = Array.from({ length: 120 }, (_, i) => mapper.toCloud(`team/s${String(i).padStart(3, '0')}`));
    for (const n of names) await p.create(n, text('x'), {}, signal());
    // Near misses AWS's word-prefix, case-insensitive filter may return: they must not be listed.
    await p.create(mapper.toCloud('teamx/s'), text('x'), {}, signal());
    await p.create('KG/team/upper', text('x'), {}, signal());
    await p.create(mapper.toCloud('team/s999-deleted'), text('x'), {}, signal());
    await p.delete(mapper.toCloud('team/s999-deleted'), { force: false }, signal());

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await p.list({ prefix: mapper.cloudPrefix('team'), pageSize: 50, ...(token === undefined ? {} : { pageToken: token }) }, signal());
      expect(page.names.length).toBeLessThanOrEqual(50);
      seen.push(...page.names);
      token = page.nextPageToken;
      pages++;
    } while (token !== undefined && pages < 10);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(seen.length).toBe(120);
    expect([...seen].sort()).toEqual([...names].sort());
    expect(seen.map((n) => mapper.fromCloud(n))).not.toContain(null);
  });

  it('sets and removes tags, and refuses tags on a missing secret', async () => {
    await p.create('t', text('one'), { a: '1' }, signal());
    await p.putTags('t', { b: '2', a: '3' }, signal());
    expect((await p.describe('t', signal()))?.tags).toEqual({ a: '3', b: '2' });
    await p.removeTags('t', ['a'], signal());
    expect((await p.describe('t', signal()))?.tags).toEqual({ b: '2' });
    await p.putTags('t', {}, signal());
    await p.removeTags('t', [], signal());
    expect(await kindOf(p.putTags('missing', { a: 'b' }, signal()))).toBe('not_found');
    expect(await kindOf(p.putTags('missing', {}, signal()))).toBe('not_found');
    expect(await kindOf(p.removeTags('missing', ['a'], signal()))).toBe('not_found');
  });

  it('stores binary values as bytes, in new secrets and new versions', async () => {
    const bytes = [0, 1, 2, 127, 128, 250, 255, 10, 13];
    const v1 = await p.create('b', bin(bytes), {}, signal());
    const read = await p.read('b', { versionId: v1.id }, signal());
    expect(read?.value.kind).toBe('binary');
    expect(read?.value.kind === 'binary' ? [...read.value.bytes.reveal()] : []).toEqual(bytes);
    await p.addVersion('b', bin([255, 0]), { stage: 'current' }, signal());
    const current = await p.read('b', { stage: 'current' }, signal());
    expect(current?.value.kind === 'binary' ? [...current.value.bytes.reveal()] : []).toEqual([255, 0]);
    await p.addVersion('b', text('now text'), { stage: 'current' }, signal());
    expect(textOf((await p.read('b', { stage: 'current' }, signal()))?.value)).toBe('now text');
  });

  it('maps awkward logical paths to valid AWS names and back, under a name prefix', async () => {
    const mapper = createNameMapper(AWS_NAMING, 'keygate/prod/');
    for (const logical of ['a b/c.d', 'ünï-cødé/🔑', '=x', 'x:y/arn:aws', 'UPPER/lower']) {
      const cloud = mapper.toCloud(logical);
      await p.create(cloud, text(logical), {}, signal());
      expect(textOf((await p.read(cloud, { stage: 'current' }, signal()))?.value)).toBe(logical);
      expect(mapper.fromCloud(cloud)).toBe(logical);
    }
  });

  it('fails with timeout when the signal has already fired, without calling AWS', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await kindOf(p.read('s', { stage: 'current' }, controller.signal))).toBe('timeout');
    expect(await kindOf(p.validate(controller.signal))).toBe('timeout');
  });
});

describe('aws secrets manager port: unreachable and hanging endpoints', () => {
  let hanging: Server;
  let hangingPort = 0;

  beforeAll(async () => {
    // A stand-in for a fault moto cannot produce: an endpoint that accepts and never answers.
    hanging = createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const address = hanging.address();
    hangingPort = typeof address === 'object' && address !== null ? address.port : 0;
  });
  afterAll(async () => {
    hanging.closeAllConnections();
    await new Promise<void>((resolve) => hanging.close(() => resolve()));
  });

  const fake = (endpoint: string): MotoServer => ({ endpoint, host: '', port: 0, action: async () => ({ status: 0, body: '' }), enforceSignatures: async () => undefined, stop: async () => undefined });

  it('fails within its signal when the endpoint never answers', async () => {
    const port = motoPort(fake(`http://127.0.0.1:${hangingPort}/`));
    const started = Date.now();
    expect(await kindOf(port.read('s', { stage: 'current' }, AbortSignal.timeout(300)))).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(3_000);
    await port.close?.();
  });

  it('reports a refused connection as unavailable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const address = closed.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const provider = motoPort(fake(`http://127.0.0.1:${port}/`));
    const err = await provider.validate(signal()).catch((e: unknown) => e);
    expect(err instanceof ProviderError ? [err.kind, err.message] : err).toEqual(['unavailable', 'AWS Secrets Manager could not be reached or failed (ListSecrets)']);
    await provider.close?.();
  });
});
