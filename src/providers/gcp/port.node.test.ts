/**
 * The GCP port against the in-repo gRPC double, method by method, with Google's own client
 * looking at what it wrote: aliases as stages, etag-conditional alias moves, labels versus
 * annotations, binary payloads, paging, faults, cancellation and sanitised errors.
 */

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Sensitive, ValidationError } from '../../core/index.js';
import { createNameMapper, GCP_NAMING } from '../naming.js';
import { ProviderError } from '../types.js';
import type { ProviderValue, SecretProvider } from '../types.js';
import { BINARY_ANNOTATION, TAGS_ANNOTATION } from './metadata.js';
import { TEST_PROJECT, startGcpFixture } from './test-gcp.node.js';
import type { GcpFixture } from './test-gcp.node.js';

const text = (s: string): ProviderValue => ({ kind: 'text', text: new Sensitive(s) });
const bytes = (b: number[]): ProviderValue => ({ kind: 'binary', bytes: new Sensitive(new Uint8Array(b)) });
const valueText = (v: ProviderValue | undefined): string | null => (v?.kind === 'text' ? v.text.reveal() : null);
const sig = () => AbortSignal.timeout(10_000);
const kindOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof ProviderError ? e.kind : `other:${e instanceof Error ? e.message : String(e)}`),
  );
const errorOf = (p: Promise<unknown>): Promise<ProviderError> =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => {
      if (e instanceof ProviderError) return e;
      throw e;
    },
  );

let f: GcpFixture;
let p: SecretProvider;
const secretName = (id: string) => `projects/${TEST_PROJECT}/secrets/${id}`;
const rawSecret = async (id: string) => (await f.raw.getSecret({ name: secretName(id) }))[0];
const rawState = async (id: string, version: string) => (await f.raw.getSecretVersion({ name: `${secretName(id)}/versions/${version}` }))[0].state;

beforeAll(async () => {
  f = await startGcpFixture();
  p = f.port;
});
afterAll(async () => {
  await f?.cleanup();
});
beforeEach(() => {
  f.double.secretManager.reset();
  f.double.faults.clear();
});

describe('GCP port: reads, writes and stages as version aliases', () => {
  it('validates with one ListSecrets call of page size 1', async () => {
    await p.validate(sig());
    expect(f.double.faults.calls.ListSecrets).toBeGreaterThanOrEqual(1);
  });

  it('creates a secret whose first version is aliased `current`, readable by stage and by number', async () => {
    const v1 = await p.create('db', text('{"password":"one"}'), {}, sig());
    expect(v1).toMatchObject({ id: '1', stages: ['current'], enabled: true });
    expect((await rawSecret('db')).versionAliases).toEqual({ current: '1' });
    const byStage = await p.read('db', { stage: 'current' }, sig());
    expect(valueText(byStage?.value)).toBe('{"password":"one"}');
    expect(byStage?.version).toMatchObject({ id: '1', stages: ['current'], enabled: true });
    expect(byStage?.version.createdTime).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(byStage?.etag).toBe((await rawSecret('db')).etag?.replace(/"/g, ''));
    expect(valueText((await p.read('db', { versionId: '1' }, sig()))?.value)).toBe('{"password":"one"}');
    expect(await p.read('db', { versionId: 'v1' }, sig())).toBeNull();
    expect(await p.read('db', { versionId: '9' }, sig())).toBeNull();
    expect(await p.read('db', { stage: 'pending' }, sig())).toBeNull();
    expect(await p.read('absent', { stage: 'current' }, sig())).toBeNull();
    expect(await kindOf(p.create('db', text('again'), {}, sig()))).toBe('conflict');
  });

  it('moves current to previous on a new current version', async () => {
    await p.create('rot', text('one'), {}, sig());
    const v2 = await p.addVersion('rot', text('two'), { stage: 'current' }, sig());
    expect(v2).toMatchObject({ id: '2', stages: ['current'] });
    expect((await rawSecret('rot')).versionAliases).toEqual({ current: '2', previous: '1' });
    const previous = await p.read('rot', { stage: 'previous' }, sig());
    expect(valueText(previous?.value)).toBe('one');
    expect(previous?.version.stages).toEqual(['previous']);
    await p.addVersion('rot', text('three'), { stage: 'current' }, sig());
    expect((await rawSecret('rot')).versionAliases).toEqual({ current: '3', previous: '2' });
  });

  it('takes a version through pending → promote → previous', async () => {
    await p.create('cycle', text('one'), {}, sig());
    const pending = await p.addVersion('cycle', text('two'), { stage: 'pending' }, sig());
    expect((await rawSecret('cycle')).versionAliases).toEqual({ current: '1', pending: '2' });
    expect(valueText((await p.read('cycle', { stage: 'current' }, sig()))?.value)).toBe('one');
    expect(valueText((await p.read('cycle', { stage: 'pending' }, sig()))?.value)).toBe('two');
    await p.promote('cycle', pending.id, sig());
    expect((await rawSecret('cycle')).versionAliases).toEqual({ current: '2', previous: '1' });
    const info = await p.describe('cycle', sig());
    expect(info?.versions.map((v) => [v.id, v.stages])).toEqual([
      ['2', ['current']],
      ['1', ['previous']],
    ]);
    // Promoting the current version again changes nothing.
    const etag = (await rawSecret('cycle')).etag;
    await p.promote('cycle', '2', sig());
    expect((await rawSecret('cycle')).etag).toBe(etag);
  });

  it('re-enables a disabled version it promotes, and refuses a destroyed or missing one', async () => {
    await p.create('back', text('one'), {}, sig());
    await p.addVersion('back', text('two'), { stage: 'current' }, sig());
    await f.raw.disableSecretVersion({ name: `${secretName('back')}/versions/1` });
    await p.promote('back', '1', sig());
    expect(await rawState('back', '1')).toBe('ENABLED');
    expect(valueText((await p.read('back', { stage: 'current' }, sig()))?.value)).toBe('one');
    expect(await kindOf(p.promote('back', '7', sig()))).toBe('not_found');
    await p.destroyVersion?.('back', '2', sig());
    expect(await kindOf(p.promote('back', '2', sig()))).toBe('not_found');
  });

  it('discards a pending version: alias removed, version disabled, current untouched', async () => {
    await p.create('discard', text('one'), {}, sig());
    const pending = await p.addVersion('discard', text('two'), { stage: 'pending' }, sig());
    await p.discardPending('discard', pending.id, sig());
    expect((await rawSecret('discard')).versionAliases).toEqual({ current: '1' });
    expect(await rawState('discard', pending.id)).toBe('DISABLED');
    expect(await p.read('discard', { stage: 'pending' }, sig())).toBeNull();
    expect(valueText((await p.read('discard', { stage: 'current' }, sig()))?.value)).toBe('one');
    expect(await kindOf(p.discardPending('discard', '42', sig()))).toBe('not_found');
  });

  it('keeps aliases it does not own when it moves its own', async () => {
    await p.create('shared', text('one'), {}, sig());
    const s = await rawSecret('shared');
    await f.raw.updateSecret({ secret: { name: s.name, etag: s.etag, versionAliases: { current: 1, blue: 1 } }, updateMask: { paths: ['version_aliases'] } });
    await p.addVersion('shared', text('two'), { stage: 'current' }, sig());
    expect((await rawSecret('shared')).versionAliases).toEqual({ current: '2', previous: '1', blue: '1' });
  });
});

describe('GCP port: conditional writes (etag)', () => {
  it('lets exactly one of two concurrent rotations from the same current win; the loser fails cleanly', async () => {
    await p.create('race', text('one'), {}, sig());
    const results = await Promise.allSettled([
      p.addVersion('race', text('two-a'), { stage: 'current', expectCurrent: '1' }, sig()),
      p.addVersion('race', text('two-b'), { stage: 'current', expectCurrent: '1' }, sig()),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const reason: unknown = lost[0]?.status === 'rejected' ? lost[0].reason : null;
    expect(reason instanceof ProviderError ? reason.kind : null).toBe('precondition_failed');
    const winner = won[0]?.status === 'fulfilled' ? won[0].value.id : '';
    const aliases = (await rawSecret('race')).versionAliases ?? {};
    expect(aliases).toEqual({ current: winner, previous: '1' });
    // Both versions were added; the loser's is disabled so `latest` readers cannot pick it up by accident.
    const loser = winner === '2' ? '3' : '2';
    expect(await rawState('race', loser)).toBe('DISABLED');
  });

  it('takes the secret etag as the expectation, exactly', async () => {
    await p.create('etag', text('one'), {}, sig());
    const read = await p.read('etag', { stage: 'current' }, sig());
    const etag = read?.etag ?? '';
    expect(etag).not.toBe('');
    await p.addVersion('etag', text('two'), { stage: 'current', expectCurrent: etag }, sig());
    expect(await kindOf(p.addVersion('etag', text('three'), { stage: 'current', expectCurrent: etag }, sig()))).toBe('precondition_failed');
    // A quoted etag (as GCP writes it) works too.
    const fresh = (await rawSecret('etag')).etag ?? '';
    await p.addVersion('etag', text('three'), { stage: 'current', expectCurrent: fresh }, sig());
    // Any change to the secret changes the etag: tags included.
    const before = (await p.read('etag', { stage: 'current' }, sig()))?.etag ?? '';
    await p.putTags('etag', { touched: 'yes' }, sig());
    expect(await kindOf(p.addVersion('etag', text('four'), { stage: 'current', expectCurrent: before }, sig()))).toBe('precondition_failed');
  });

  it('disables a version whose alias move was refused (throttled), so a retry leaves no stray enabled version', async () => {
    await p.create('refused', text('one'), {}, sig());
    f.double.faults.throttle({ methods: ['UpdateSecret'], times: 1 });
    expect(await kindOf(p.addVersion('refused', text('two'), { stage: 'current' }, sig()))).toBe('throttled');
    expect(await rawState('refused', '2')).toBe('DISABLED');
    expect((await rawSecret('refused')).versionAliases).toEqual({ current: '1' });
    await p.addVersion('refused', text('two again'), { stage: 'current' }, sig());
    expect((await rawSecret('refused')).versionAliases).toEqual({ current: '3', previous: '1' });
  });

  it('applies unconditional concurrent writes one after another (last writer wins, nothing lost)', async () => {
    await p.create('burst', text('zero'), {}, sig());
    const written = await Promise.all(['a', 'b', 'c'].map((v) => p.addVersion('burst', text(v), { stage: 'current' }, sig())));
    expect(written.map((v) => v.id).sort()).toEqual(['2', '3', '4']);
    const aliases = (await rawSecret('burst')).versionAliases ?? {};
    expect(['2', '3', '4']).toContain(aliases.current);
    expect(aliases.previous).not.toBe(aliases.current);
  });
});

describe('GCP port: tags as labels and annotations', () => {
  it('stores label-shaped tags as labels and every other tag in the keygate-tags annotation', async () => {
    const tags = { team: 'payments', 'Cost-Center': 'R&D / 42', owner: 'Alice', empty: '', 'keygate-managed': 'true' };
    await p.create('tagged', text('x'), tags, sig());
    const s = await rawSecret('tagged');
    expect(s.labels).toEqual({ team: 'payments', empty: '', 'keygate-managed': 'true' });
    expect(JSON.parse(s.annotations?.[TAGS_ANNOTATION] ?? '{}')).toEqual({ 'Cost-Center': 'R&D / 42', owner: 'Alice' });
    expect((await p.describe('tagged', sig()))?.tags).toEqual(tags);
  });

  it('moves a tag between label and annotation as its value changes, and removes tags from either', async () => {
    await p.create('moving', text('x'), { env: 'prod', note: 'Hello' }, sig());
    await p.putTags('moving', { env: 'Production!', note: 'hello' }, sig());
    let s = await rawSecret('moving');
    expect(s.labels).toEqual({ note: 'hello' });
    expect(JSON.parse(s.annotations?.[TAGS_ANNOTATION] ?? '{}')).toEqual({ env: 'Production!' });
    await p.removeTags('moving', ['env', 'absent'], sig());
    s = await rawSecret('moving');
    expect(s.annotations?.[TAGS_ANNOTATION]).toBeUndefined();
    expect((await p.describe('moving', sig()))?.tags).toEqual({ note: 'hello' });
  });

  it('overflows past 64 labels into the annotation, and refuses tags beyond 16 KiB of annotations', async () => {
    const many = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`k${i}`, 'v']));
    await p.create('many-tags', text('x'), many, sig());
    const s = await rawSecret('many-tags');
    expect(Object.keys(s.labels ?? {})).toHaveLength(64);
    expect((await p.describe('many-tags', sig()))?.tags).toEqual(many);
    expect(await kindOf(p.putTags('many-tags', { Big: 'x'.repeat(17 * 1024) }, sig()))).toBe('invalid');
    expect(await kindOf(p.create('too-big', text('x'), { Big: 'x'.repeat(17 * 1024) }, sig()))).toBe('invalid');
    expect(await kindOf(p.putTags('absent', { a: 'b' }, sig()))).toBe('not_found');
  });
});

describe('GCP port: values', () => {
  it('stores binary values as the payload bytes, and reads them back as binary even when they are valid UTF-8', async () => {
    await p.create('bin', bytes([0, 1, 2, 250, 255]), {}, sig());
    await p.addVersion('bin', bytes([104, 105]), { stage: 'current' }, sig()); // "hi"
    await p.addVersion('bin', text('hi'), { stage: 'current' }, sig());
    expect([...(f.double.secretManager.storedPayload(TEST_PROJECT, 'bin', 1) ?? [])]).toEqual([0, 1, 2, 250, 255]);
    expect((await rawSecret('bin')).annotations?.[BINARY_ANNOTATION]).toBe('1,2');
    const v1 = await p.read('bin', { versionId: '1' }, sig());
    expect(v1?.value.kind === 'binary' ? [...v1.value.bytes.reveal()] : null).toEqual([0, 1, 2, 250, 255]);
    expect((await p.read('bin', { versionId: '2' }, sig()))?.value.kind).toBe('binary');
    expect(valueText((await p.read('bin', { versionId: '3' }, sig()))?.value)).toBe('hi');
  });

  it('reads a secret written by another GCP client: `latest` as current, text when UTF-8, binary otherwise', async () => {
    await f.raw.createSecret({ parent: `projects/${TEST_PROJECT}`, secretId: 'foreign', secret: { replication: { automatic: {} } } });
    await f.raw.addSecretVersion({ parent: secretName('foreign'), payload: { data: Buffer.from('plain text') } });
    const current = await p.read('foreign', { stage: 'current' }, sig());
    expect(valueText(current?.value)).toBe('plain text');
    expect(current?.version.stages).toEqual(['current']);
    expect((await p.read('foreign', { versionId: '1' }, sig()))?.version.stages).toEqual(['current']);
    expect((await p.describe('foreign', sig()))?.versions[0]?.stages).toEqual(['current']);
    await f.raw.addSecretVersion({ parent: secretName('foreign'), payload: { data: Buffer.from([0xff, 0xfe]) } });
    expect((await p.read('foreign', { stage: 'current' }, sig()))?.value.kind).toBe('binary');
    // Keygate's first write there takes over with aliases, checked against `latest`.
    await p.addVersion('foreign', text('mine'), { stage: 'current', expectCurrent: '2' }, sig());
    expect((await rawSecret('foreign')).versionAliases).toEqual({ current: '3', previous: '2' });
  });

  it('refuses values over 64 KiB before calling GCP', async () => {
    await p.create('big', text('x'), {}, sig());
    const before = f.double.faults.calls.AddSecretVersion ?? 0;
    expect(await kindOf(p.addVersion('big', text('x'.repeat(64 * 1024 + 1)), { stage: 'current' }, sig()))).toBe('invalid');
    expect(await kindOf(p.create('big2', bytes(new Array<number>(64 * 1024 + 1).fill(1)), {}, sig()))).toBe('invalid');
    expect(f.double.faults.calls.AddSecretVersion ?? 0).toBe(before);
    await p.addVersion('big', text('x'.repeat(64 * 1024)), { stage: 'current' }, sig());
  });

  it('refuses a payload that fails its CRC32C check', async () => {
    await p.create('corrupt', text('original'), {}, sig());
    const stored = f.double.secretManager.storedPayload(TEST_PROJECT, 'corrupt', 1);
    if (stored !== null) stored[0] = 0x4f; // flip a byte behind the service's back
    const err = await errorOf(p.read('corrupt', { stage: 'current' }, sig()));
    expect(err.kind).toBe('unavailable');
    expect(err.message).toContain('CRC32C');
  });
});

describe('GCP port: versions and deletes', () => {
  it('destroys a version for good, dropping its stage; never the current one', async () => {
    await p.create('destroy', text('one'), {}, sig());
    await p.addVersion('destroy', text('two'), { stage: 'current' }, sig());
    expect(p.capabilities.destroyVersion).toBe(true);
    expect(await kindOf(p.destroyVersion?.('destroy', '2', sig()) ?? Promise.resolve())).toBe('invalid');
    await p.destroyVersion?.('destroy', '1', sig());
    expect(await rawState('destroy', '1')).toBe('DESTROYED');
    expect((await rawSecret('destroy')).versionAliases).toEqual({ current: '2' });
    expect(await p.read('destroy', { versionId: '1' }, sig())).toBeNull();
    expect(await p.read('destroy', { stage: 'previous' }, sig())).toBeNull();
    expect((await p.describe('destroy', sig()))?.versions.map((v) => [v.id, v.enabled])).toEqual([
      ['2', true],
      ['1', false],
    ]);
    // Again: already destroyed is done.
    await p.destroyVersion?.('destroy', '1', sig());
    expect(await kindOf(p.destroyVersion?.('destroy', '9', sig()) ?? Promise.resolve())).toBe('not_found');
  });

  it('deletes permanently (no recoverable delete), and has nothing to restore', async () => {
    expect(p.capabilities.recoverableDelete).toBe(false);
    await p.create('perm', text('one'), {}, sig());
    await p.delete('perm', { force: false }, sig());
    expect(await p.describe('perm', sig())).toBeNull();
    expect(await p.read('perm', { stage: 'current' }, sig())).toBeNull();
    expect(await kindOf(p.restore('perm', sig()))).toBe('invalid');
    expect(await kindOf(p.delete('perm', { force: true }, sig()))).toBe('not_found');
  });
});

describe('GCP port: listing and names', () => {
  it('lists by prefix page by page, leaving out names that only contain the prefix', async () => {
    const mapper = createNameMapper(GCP_NAMING);
    const inFolder = Array.from({ length: 5 }, (_, i) => mapper.toCloud(`app/db${i}`));
    for (const n of inFolder) await p.create(n, text('x'), {}, sig());
    await p.create(mapper.toCloud('xapp/db'), text('x'), {}, sig()); // contains "app_2F" but does not start with it
    await p.create(mapper.toCloud('other/db'), text('x'), {}, sig());
    const prefix = mapper.cloudPrefix('app');
    expect(prefix).toBe('app_2F');
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await p.list({ prefix, pageSize: 2, ...(token === undefined ? {} : { pageToken: token }) }, sig());
      seen.push(...page.names);
      token = page.nextPageToken;
      pages++;
    } while (token !== undefined && pages < 10);
    expect(seen.sort()).toEqual([...inFolder].sort());
    expect(seen.map((n) => mapper.fromCloud(n)).sort()).toEqual(['app/db0', 'app/db1', 'app/db2', 'app/db3', 'app/db4']);
    expect(pages).toBe(3);
    const all = await p.list({ prefix: '', pageSize: 100 }, sig());
    expect(all.names).toHaveLength(7);
    expect(all.nextPageToken).toBeUndefined();
  });

  it('maps awkward paths to valid secret ids and back, with a mount name prefix', async () => {
    const prefixed = p;
    const mapper = createNameMapper(GCP_NAMING, 'kg-prod-');
    const paths = ['a b/c.d', 'UPPER/lower', 'ünï/🔑', '_underscore', 'dash-ok/x'];
    for (const path of paths) {
      const cloud = mapper.toCloud(path);
      expect(cloud).toMatch(/^[A-Za-z0-9_-]{1,255}$/);
      await prefixed.create(cloud, text(path), {}, sig());
      expect(valueText((await prefixed.read(cloud, { stage: 'current' }, sig()))?.value)).toBe(path);
    }
    const listed = await prefixed.list({ prefix: 'kg-prod-', pageSize: 50 }, sig());
    expect(listed.names.map((n) => mapper.fromCloud(n)).sort()).toEqual([...paths].sort());
    // Longest mappable path: 255 characters once prefixed; one more is refused before any call.
    const longest = 'x'.repeat(255 - 'kg-prod-'.length);
    await prefixed.create(mapper.toCloud(longest), text('edge'), {}, sig());
    expect(() => mapper.toCloud(`${longest}x`)).toThrow(ValidationError);
    // Ids Keygate did not write (no canonical escape) are not mapped back.
    expect(mapper.fromCloud('kg-prod-bad_zz')).toBeNull();
    expect(mapper.fromCloud('other-prefix-x')).toBeNull();
    // The port refuses anything that is not a GCP secret id.
    expect(await kindOf(p.read('not/valid', { stage: 'current' }, sig()))).toBe('invalid');
  });
});

describe('GCP port: faults, cancellation and sanitised errors', () => {
  const CANARY = 'projects/canary-project-5e1f/secrets/canary-secret-9b2d principal:canary@evil.example request-id:canary-req-77';
  const expectClean = (err: ProviderError) => {
    expect(err.message).not.toContain('canary');
    expect(JSON.stringify(err)).not.toContain('canary');
    expect(String(err)).not.toContain('canary');
  };

  it('answers throttling as `throttled` with the RetryInfo hint, without retrying inside the library', async () => {
    await p.create('busy', text('x'), {}, sig());
    f.double.faults.throttle({ retryDelayMs: 1500, times: 1, methods: ['AccessSecretVersion'], message: CANARY });
    const before = f.double.faults.calls.AccessSecretVersion ?? 0;
    const err = await errorOf(p.read('busy', { stage: 'current' }, sig()));
    expect(err.kind).toBe('throttled');
    expect(err.options.retryAfterMs).toBe(1500);
    expect(err.options.retryable).toBe(true);
    expectClean(err);
    // Google's default config retries AccessSecretVersion on RESOURCE_EXHAUSTED; Keygate turns that off.
    expect((f.double.faults.calls.AccessSecretVersion ?? 0) - before).toBe(1);
  });

  it.each([
    ['UNAVAILABLE', 'unavailable'],
    ['INTERNAL', 'unavailable'],
    ['PERMISSION_DENIED', 'unauthorized'],
    ['UNAUTHENTICATED', 'unauthorized'],
    ['INVALID_ARGUMENT', 'invalid'],
    ['ABORTED', 'precondition_failed'],
    ['DEADLINE_EXCEEDED', 'timeout'],
  ] as const)('maps %s to %s with Keygate’s own message', async (code, kind) => {
    f.double.faults.add({ code, message: CANARY, times: 1 });
    const err = await errorOf(p.describe('anything', sig()));
    expect(err.kind).toBe(kind);
    expectClean(err);
  });

  it('cancels the gRPC call when the signal aborts', async () => {
    await p.create('slow', text('x'), {}, sig());
    f.double.faults.latency(5000, { methods: ['GetSecret'], times: 1 });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    const err = await errorOf(p.read('slow', { stage: 'current' }, controller.signal));
    expect(err.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2000);
    await expect.poll(() => f.double.faults.cancelled.GetSecret ?? 0).toBe(1);
    // A signal aborted before the call never reaches GCP.
    const calls = f.double.faults.calls.GetSecret ?? 0;
    expect(await kindOf(p.read('slow', { stage: 'current' }, AbortSignal.abort()))).toBe('timeout');
    expect(f.double.faults.calls.GetSecret ?? 0).toBe(calls);
  });

  it('reports a dead endpoint as unavailable', async () => {
    const dead = f.portWith({ port: 1 });
    const err = await errorOf(dead.validate(sig()));
    expect(err.kind).toBe('unavailable');
  });
});
