/**
 * The provider conformance suite: the behaviour every `SecretProvider` shares, run against
 * the memory provider, AWS (moto), Azure (Lowkey Vault) and GCP (the gRPC double). Each
 * test works on names of its own, so the suite can share one emulator.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sensitive, createWebRuntime, toHex } from '../core/index.js';
import { createMemoryStorage } from '../storage/index.js';
import { createRotation } from './rotation.js';
import { createNameMapper } from './naming.js';
import type { NamingRules } from './naming.js';
import { ProviderError } from './types.js';
import type { ProviderValue, SecretProvider } from './types.js';

export interface ConformanceSubject {
  provider: SecretProvider;
  naming: NamingRules;
  /** Stops emulators, closes clients. */
  cleanup?(): Promise<void>;
}

const text = (s: string): ProviderValue => ({ kind: 'text', text: new Sensitive(s) });
const valueText = (v: ProviderValue | undefined): string => (v?.kind === 'text' ? v.text.reveal() : '');
const signal = () => AbortSignal.timeout(30_000);
const kindOf = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof ProviderError ? e.kind : `other:${e instanceof Error ? e.name : String(e)}`),
  );

/** Registers the conformance tests for one provider. `factory` runs once for the suite. */
export function describeProviderConformance(name: string, factory: () => Promise<ConformanceSubject>): void {
  describe(`SecretProvider conformance: ${name}`, () => {
    let subject: ConformanceSubject;
    let p: SecretProvider;
    let run = '';
    const unique = (label: string) => createNameMapper(subject.naming).toCloud(`conformance/${run}/${label}`);

    beforeAll(async () => {
      subject = await factory();
      p = subject.provider;
      run = toHex(crypto.getRandomValues(new Uint8Array(4)));
    }, 120_000);
    afterAll(async () => {
      await subject?.cleanup?.();
    }, 60_000);

    it('validates its configuration', async () => {
      await expect(p.validate(signal())).resolves.toBeUndefined();
    });

    it('creates a secret and reads it back as current, by version id, and not before it exists', async () => {
      const n = unique('create');
      expect(await p.read(n, { stage: 'current' }, signal())).toBeNull();
      const v1 = await p.create(n, text('{"password":"one"}'), { team: 'payments' }, signal());
      expect(v1.stages).toContain('current');
      const current = await p.read(n, { stage: 'current' }, signal());
      expect(valueText(current?.value)).toBe('{"password":"one"}');
      expect(current?.version.id).toBe(v1.id);
      expect(valueText((await p.read(n, { versionId: v1.id }, signal()))?.value)).toBe('{"password":"one"}');
      expect(await kindOf(p.create(n, text('again'), {}, signal()))).toBe('conflict');
    });

    it('moves current to previous when a new current version is added', async () => {
      const n = unique('versions');
      const v1 = await p.create(n, text('one'), {}, signal());
      const v2 = await p.addVersion(n, text('two'), { stage: 'current' }, signal());
      expect(v2.id).not.toBe(v1.id);
      expect(valueText((await p.read(n, { stage: 'current' }, signal()))?.value)).toBe('two');
      const previous = await p.read(n, { stage: 'previous' }, signal());
      expect(previous?.version.id).toBe(v1.id);
      expect(valueText(previous?.value)).toBe('one');
    });

    it('keeps a pending version out of current until promoted, then rotates previous', async () => {
      const n = unique('pending');
      const v1 = await p.create(n, text('one'), {}, signal());
      const pending = await p.addVersion(n, text('two'), { stage: 'pending' }, signal());
      expect(valueText((await p.read(n, { stage: 'current' }, signal()))?.value)).toBe('one');
      expect((await p.read(n, { stage: 'pending' }, signal()))?.version.id).toBe(pending.id);
      await p.promote(n, pending.id, signal());
      expect(valueText((await p.read(n, { stage: 'current' }, signal()))?.value)).toBe('two');
      expect((await p.read(n, { stage: 'previous' }, signal()))?.version.id).toBe(v1.id);
      expect(await p.read(n, { stage: 'pending' }, signal())).toBeNull();
    });

    it('discards a pending version without touching current', async () => {
      const n = unique('discard');
      await p.create(n, text('one'), {}, signal());
      const pending = await p.addVersion(n, text('two'), { stage: 'pending' }, signal());
      await p.discardPending(n, pending.id, signal());
      expect(await p.read(n, { stage: 'pending' }, signal())).toBeNull();
      expect(valueText((await p.read(n, { stage: 'current' }, signal()))?.value)).toBe('one');
    });

    it('refuses a write whose expected current version is stale', async () => {
      const n = unique('expect');
      const v1 = await p.create(n, text('one'), {}, signal());
      await p.addVersion(n, text('two'), { stage: 'current', expectCurrent: v1.id }, signal());
      expect(await kindOf(p.addVersion(n, text('three'), { stage: 'current', expectCurrent: v1.id }, signal()))).toBe('precondition_failed');
      expect(valueText((await p.read(n, { stage: 'current' }, signal()))?.value)).toBe('two');
    });

    it('describes a secret: tags and versions, newest first', async () => {
      const n = unique('describe');
      await p.create(n, text('one'), { owner: 'keygate', env: 'test' }, signal());
      await p.addVersion(n, text('two'), { stage: 'current' }, signal());
      const info = await p.describe(n, signal());
      expect(info?.tags).toMatchObject({ owner: 'keygate', env: 'test' });
      expect(info?.deleted).toBe(false);
      expect(info?.versions.length).toBeGreaterThanOrEqual(2);
      expect(info?.versions[0]?.stages).toContain('current');
      expect(await p.describe(unique('missing'), signal())).toBeNull();
    });

    it('sets and removes tags', async () => {
      const n = unique('tags');
      await p.create(n, text('one'), { a: '1' }, signal());
      await p.putTags(n, { b: '2', a: '3' }, signal());
      expect((await p.describe(n, signal()))?.tags).toMatchObject({ a: '3', b: '2' });
      await p.removeTags(n, ['a'], signal());
      const tags = (await p.describe(n, signal()))?.tags ?? {};
      expect(tags.a).toBeUndefined();
      expect(tags.b).toBe('2');
    });

    it('deletes recoverably by default (where the cloud can) and restores, and deletes for good with force', async () => {
      const n = unique('delete');
      await p.create(n, text('one'), {}, signal());
      if (p.capabilities.recoverableDelete) {
        await p.delete(n, { force: false }, signal());
        expect(await p.read(n, { stage: 'current' }, signal())).toBeNull();
        await p.restore(n, signal());
        expect(valueText((await p.read(n, { stage: 'current' }, signal()))?.value)).toBe('one');
      }
      await p.delete(n, { force: true }, signal());
      expect(await p.read(n, { stage: 'current' }, signal())).toBeNull();
    });

    it('lists live secrets under a prefix, page by page, without loss or duplicates', async () => {
      const mapper = createNameMapper(subject.naming);
      const folder = `conformance/${run}/list`;
      const names = Array.from({ length: 7 }, (_, i) => mapper.toCloud(`${folder}/s${i}`));
      for (const n of names) await p.create(n, text('x'), {}, signal());
      await p.create(mapper.toCloud(`conformance/${run}/other`), text('x'), {}, signal());
      const seen: string[] = [];
      let token: string | undefined;
      for (let page = 0; page < 20; page++) {
        const result = await p.list({ prefix: mapper.cloudPrefix(folder), pageSize: 3, ...(token === undefined ? {} : { pageToken: token }) }, signal());
        seen.push(...result.names.filter((x) => x.startsWith(mapper.cloudPrefix(folder))));
        token = result.nextPageToken;
        if (token === undefined) break;
      }
      expect([...new Set(seen)].sort()).toEqual([...names].sort());
      expect(seen.length).toBe(names.length);
    });

    it('round-trips awkward logical paths through the name mapping and the real store', async () => {
      const mapper = createNameMapper(subject.naming);
      const paths = [`conformance/${run}/a b/c.d`, `conformance/${run}/UPPER/lower`, `conformance/${run}/ünï-cødé/🔑`, `conformance/${run}/${subject.naming.escape}x`];
      for (const logical of paths) {
        const cloud = mapper.toCloud(logical);
        await p.create(cloud, text(logical), {}, signal());
        expect(valueText((await p.read(cloud, { stage: 'current' }, signal()))?.value)).toBe(logical);
        expect(mapper.fromCloud(cloud)).toBe(logical);
      }
    });

    it('stores binary values as bytes (where the cloud can)', async () => {
      if (!p.capabilities.binary) return;
      const n = unique('binary');
      const bytes = new Uint8Array([0, 1, 2, 250, 255, 10, 13]);
      await p.create(n, { kind: 'binary', bytes: new Sensitive(bytes) }, {}, signal());
      const read = await p.read(n, { stage: 'current' }, signal());
      expect(read?.value.kind).toBe('binary');
      expect(read?.value.kind === 'binary' ? [...read.value.bytes.reveal()] : []).toEqual([...bytes]);
    });

    it('destroys a single version (where the cloud can)', async () => {
      if (!p.capabilities.destroyVersion || p.destroyVersion === undefined) return;
      const n = unique('destroy');
      const v1 = await p.create(n, text('one'), {}, signal());
      await p.addVersion(n, text('two'), { stage: 'current' }, signal());
      await p.destroyVersion(n, v1.id, signal());
      expect(await p.read(n, { versionId: v1.id }, signal())).toBeNull();
      expect(valueText((await p.read(n, { stage: 'current' }, signal()))?.value)).toBe('two');
    });

    describe('rotation over this store (current, pending, previous)', () => {
      const rotationFor = (port: SecretProvider, status: number) =>
        createRotation({
          port,
          storage: stateStorage,
          runtime: createWebRuntime({ fetch: async () => new Response(null, { status }) }),
        });
      const stateStorage = createMemoryStorage();
      const ctx = { mount: 'cloud/', signal: AbortSignal.timeout(60_000), allowedWebhooks: ['https://verify.test/'] };
      const settings = { fields: ['password'], length: 20, alphabet: 'alphanumeric' as const, webhook: { url: 'https://verify.test/ok', timeout: '5s' } };

      it('promotes a verified new value and keeps the old one as previous', async () => {
        const n = unique('rotate-ok');
        await p.create(n, text('{"user":"app","password":"old"}'), {}, signal());
        const rotation = rotationFor(p, 204);
        await rotation.configure(n, settings);
        const result = await rotation.rotate(n, n, ctx);
        const current = JSON.parse(valueText((await p.read(n, { stage: 'current' }, signal()))?.value)) as Record<string, string>;
        expect(current.user).toBe('app');
        expect(current.password).toMatch(/^[A-Za-z0-9]{20}$/);
        expect((await p.read(n, { stage: 'current' }, signal()))?.version.id).toBe(result.version);
        expect(valueText((await p.read(n, { stage: 'previous' }, signal()))?.value)).toContain('"old"');
        expect(await p.read(n, { stage: 'pending' }, signal())).toBeNull();
      });

      it('rolls back when verification fails', async () => {
        const n = unique('rotate-fail');
        await p.create(n, text('{"password":"old"}'), {}, signal());
        const rotation = rotationFor(p, 500);
        await rotation.configure(n, settings);
        await expect(rotation.rotate(n, n, ctx)).rejects.toThrow(/rolled back/);
        expect(valueText((await p.read(n, { stage: 'current' }, signal()))?.value)).toBe('{"password":"old"}');
        expect(await p.read(n, { stage: 'pending' }, signal())).toBeNull();
      });

      it('resumes a verified rotation interrupted before promotion, never leaving two currents', async () => {
        const n = unique('rotate-crash');
        await p.create(n, text('{"password":"old"}'), {}, signal());
        let crash = true;
        // The process "dies" between verification and promotion: promote fails once.
        const crashing: SecretProvider = {
          ...p,
          promote: async (name, id, s) => {
            if (crash) {
              crash = false;
              throw new ProviderError('unavailable', 'simulated crash before promotion');
            }
            return p.promote(name, id, s);
          },
        };
        const first = rotationFor(crashing, 204);
        await first.configure(n, settings);
        await expect(first.rotate(n, n, ctx)).rejects.toThrow();
        expect(valueText((await p.read(n, { stage: 'current' }, signal()))?.value)).toBe('{"password":"old"}');
        const pendingId = (await p.read(n, { stage: 'pending' }, signal()))?.version.id;
        expect(pendingId).toBeDefined();
        const resumed = await rotationFor(p, 204).rotate(n, n, ctx);
        expect(resumed.resumed).toBe(true);
        expect(resumed.version).toBe(pendingId);
        expect((await p.read(n, { stage: 'current' }, signal()))?.version.id).toBe(pendingId);
        const info = await p.describe(n, signal());
        expect(info?.versions.filter((v) => v.stages.includes('current'))).toHaveLength(1);
      });

      it('rolls back an unverified rotation left behind by a crash, then rotates afresh', async () => {
        const n = unique('rotate-crash-early');
        await p.create(n, text('{"password":"old"}'), {}, signal());
        let crash = true;
        // Verification fails and the process "dies" before it can discard the pending version.
        const crashing: SecretProvider = {
          ...p,
          discardPending: async (name, id, s) => {
            if (crash) {
              crash = false;
              throw new ProviderError('unavailable', 'simulated crash during rollback');
            }
            return p.discardPending(name, id, s);
          },
        };
        const first = rotationFor(crashing, 500);
        await first.configure(n, settings);
        await expect(first.rotate(n, n, ctx)).rejects.toThrow();
        const second = await rotationFor(p, 204).rotate(n, n, ctx);
        expect(second.resumed).toBe(false);
        expect((await p.read(n, { stage: 'current' }, signal()))?.version.id).toBe(second.version);
        const info = await p.describe(n, signal());
        expect(info?.versions.filter((v) => v.stages.includes('current'))).toHaveLength(1);
        expect(info?.versions.filter((v) => v.stages.includes('pending'))).toHaveLength(0);
      });
    });

    it('answers not_found for operations on a missing secret', async () => {
      const n = unique('absent');
      expect(await kindOf(p.addVersion(n, text('x'), { stage: 'current' }, signal()))).toBe('not_found');
      expect(await kindOf(p.putTags(n, { a: 'b' }, signal()))).toBe('not_found');
    });
  });
}
