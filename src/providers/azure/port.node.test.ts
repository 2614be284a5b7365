import { CredentialUnavailableError } from '@azure/identity';
import type { TokenCredential } from '@azure/identity';
import type { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sensitive, fromBase64, isGatewayError, toHex } from '../../core/index.js';
import { azureEmulatorSkipReason, startLowkeyVault } from '../../../test/emulators/lowkey-vault.js';
import type { AzureKeyVaultEmulator } from '../../../test/emulators/lowkey-vault.js';
import { AZURE_NAMING, createNameMapper } from '../naming.js';
import { ProviderError } from '../types.js';
import type { ProviderValue, SecretProvider } from '../types.js';
import { BINARY_CONTENT_TYPE, COPY_TAG, STAGE_TAG } from './port.node.js';
import { clearAzureEnvironment, nativeClient, portOn } from './test-emulator.node.js';

clearAzureEnvironment();
const skip = azureEmulatorSkipReason('azure-key-vault port');
const text = (s: string): ProviderValue => ({ kind: 'text', text: new Sensitive(s) });
const valueText = (v: ProviderValue | undefined): string => (v?.kind === 'text' ? v.text.reveal() : '');
const signal = () => AbortSignal.timeout(30_000);
const failure = async (p: Promise<unknown>): Promise<ProviderError> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw err;
  }
  throw new Error('expected a ProviderError');
};

describe.skipIf(skip !== null)('azure-key-vault port on the Azure Key Vault emulator', () => {
  let emulator: AzureKeyVaultEmulator;
  let p: SecretProvider;
  let native: SecretClient;
  let run = '';
  const unique = (label: string) => `t${run}-${label}`;
  const nativeValue = async (name: string) => (await native.getSecret(name)).value;

  beforeAll(async () => {
    emulator = await startLowkeyVault();
    p = portOn(emulator);
    native = nativeClient(emulator);
    run = toHex(crypto.getRandomValues(new Uint8Array(4)));
  }, 120_000);
  afterAll(async () => {
    await emulator?.stop();
  });

  it('validates with a working credential', async () => {
    await expect(p.validate(signal())).resolves.toBeUndefined();
  });

  describe('versions and stages', () => {
    it('rotates through pending → promote → previous while plain Azure readers see only verified values', async () => {
      const n = unique('rotate');
      const v1 = await p.create(n, text('one'), { team: 'payments' }, signal());
      const pending = await p.addVersion(n, text('two'), { stage: 'pending', expectCurrent: v1.id }, signal());
      // Keygate: current is still v1 (same id), pending readable.
      const current = await p.read(n, { stage: 'current' }, signal());
      expect(current?.version.id).toBe(v1.id);
      expect(valueText(current?.value)).toBe('one');
      const readPending = await p.read(n, { stage: 'pending' }, signal());
      expect(readPending?.version).toMatchObject({ id: pending.id, stages: ['pending'] });
      expect(valueText(readPending?.value)).toBe('two');
      // A plain Azure reader (newest version) still gets the current value.
      expect(await nativeValue(n)).toBe('one');

      await p.promote(n, pending.id, signal());
      expect(await nativeValue(n)).toBe('two');
      const promoted = await p.read(n, { stage: 'current' }, signal());
      expect(promoted?.version.id).toBe(pending.id);
      expect(valueText(promoted?.value)).toBe('two');
      expect((await p.read(n, { stage: 'previous' }, signal()))?.version.id).toBe(v1.id);
      expect(await p.read(n, { stage: 'pending' }, signal())).toBeNull();
      // Reading by id reports the stage the version holds.
      expect((await p.read(n, { versionId: pending.id }, signal()))?.version.stages).toEqual(['current']);
      expect((await p.read(n, { versionId: v1.id }, signal()))?.version.stages).toEqual(['previous']);

      // A third current: v1 loses previous, the promoted version takes it.
      const v3 = await p.addVersion(n, text('three'), { stage: 'current' }, signal());
      expect((await p.read(n, { stage: 'previous' }, signal()))?.version.id).toBe(pending.id);
      const info = await p.describe(n, signal());
      expect(info?.versions.map((v) => v.id)).toEqual(expect.arrayContaining([v1.id, pending.id, v3.id]));
      expect(info?.versions.find((v) => v.id === v1.id)?.stages).toEqual([]);
      expect(info?.versions.find((v) => v.id === v3.id)?.stages).toEqual(['current']);
      // Carrier versions are not reported as versions of their own.
      expect(info?.versions).toHaveLength(3);
      // Tags stay secret-level: copied onto every version Keygate writes; stage tags hidden.
      expect(info?.tags).toEqual({ team: 'payments' });
    });

    it('promoting again (a resumed rotation) is harmless', async () => {
      const n = unique('repromote');
      const v1 = await p.create(n, text('one'), {}, signal());
      const pending = await p.addVersion(n, text('two'), { stage: 'pending' }, signal());
      await p.promote(n, pending.id, signal());
      await p.promote(n, pending.id, signal());
      expect((await p.read(n, { stage: 'current' }, signal()))?.version.id).toBe(pending.id);
      expect((await p.read(n, { stage: 'previous' }, signal()))?.version.id).toBe(v1.id);
    });

    it('discards a pending version: disabled, tagged, current untouched for Keygate and plain readers', async () => {
      const n = unique('discard');
      const v1 = await p.create(n, text('one'), {}, signal());
      const pending = await p.addVersion(n, text('two'), { stage: 'pending' }, signal());
      await p.discardPending(n, pending.id, signal());
      expect(await p.read(n, { stage: 'pending' }, signal())).toBeNull();
      expect(await p.read(n, { versionId: pending.id }, signal())).toBeNull();
      expect((await p.read(n, { stage: 'current' }, signal()))?.version.id).toBe(v1.id);
      expect(await nativeValue(n)).toBe('one');
      const discarded = (await p.describe(n, signal()))?.versions.find((v) => v.id === pending.id);
      expect(discarded).toMatchObject({ enabled: false, stages: [] });
      // A discarded version cannot be promoted.
      expect((await failure(p.promote(n, pending.id, signal()))).kind).toBe('conflict');
    });

    it('a second pending version replaces the first', async () => {
      const n = unique('twopending');
      await p.create(n, text('one'), {}, signal());
      const first = await p.addVersion(n, text('two'), { stage: 'pending' }, signal());
      const second = await p.addVersion(n, text('three'), { stage: 'pending' }, signal());
      expect((await p.read(n, { stage: 'pending' }, signal()))?.version.id).toBe(second.id);
      expect(await p.read(n, { versionId: first.id }, signal())).toBeNull();
      expect(await nativeValue(n)).toBe('one');
    });

    it('recovers from an addVersion interrupted before the current value was put back on top', async () => {
      const n = unique('interrupted');
      const v1 = await p.create(n, text('one'), { a: '1' }, signal());
      // What a crash right after writing the pending version leaves: it is Azure's newest.
      const orphan = await native.setSecret(n, 'two', { tags: { a: '1', [STAGE_TAG]: 'pending' } });
      expect(await nativeValue(n)).toBe('two');
      expect((await p.read(n, { stage: 'current' }, signal()))?.version.id).toBe(v1.id);
      expect((await p.read(n, { stage: 'pending' }, signal()))?.version.id).toBe(orphan.properties.version);
      // Rolling back puts the current value back on top for plain readers.
      await p.discardPending(n, orphan.properties.version ?? '', signal());
      expect(await nativeValue(n)).toBe('one');
      expect((await p.read(n, { stage: 'current' }, signal()))?.version.id).toBe(v1.id);
    });

    it('checks expectCurrent before writing (not atomic: documented)', async () => {
      const n = unique('expect');
      const v1 = await p.create(n, text('one'), {}, signal());
      const v2 = await p.addVersion(n, text('two'), { stage: 'current', expectCurrent: v1.id }, signal());
      const stale = await failure(p.addVersion(n, text('three'), { stage: 'current', expectCurrent: v1.id }, signal()));
      expect(stale.kind).toBe('precondition_failed');
      expect((await failure(p.addVersion(n, text('x'), { stage: 'pending', expectCurrent: 'ffff' }, signal()))).kind).toBe('precondition_failed');
      expect((await p.read(n, { stage: 'current' }, signal()))?.version.id).toBe(v2.id);
      expect(p.capabilities.atomicConditionalWrite).toBe(false);
    });

    it('answers null for unknown or malformed version ids and not_found for writes to a missing secret', async () => {
      const n = unique('absent');
      expect(await p.read(n, { stage: 'current' }, signal())).toBeNull();
      expect(await p.describe(n, signal())).toBeNull();
      await p.create(n, text('one'), {}, signal());
      expect(await p.read(n, { versionId: '0123456789abcdef0123456789abcdef' }, signal())).toBeNull();
      expect(await p.read(n, { versionId: '../../secrets' }, signal())).toBeNull();
      expect((await failure(p.promote(n, '0123456789abcdef0123456789abcdef', signal()))).kind).toBe('not_found');
      expect((await failure(p.addVersion(unique('never'), text('x'), { stage: 'current' }, signal()))).kind).toBe('not_found');
      expect((await failure(p.create(n, text('again'), {}, signal()))).kind).toBe('conflict');
    });
  });

  describe('delete, restore, purge', () => {
    it('soft-deletes, reads as absent, refuses reuse, restores, then purges with force', async () => {
      const n = unique('delete');
      await p.create(n, text('one'), { owner: 'keygate' }, signal());
      await p.delete(n, { force: false }, signal());
      expect(await p.read(n, { stage: 'current' }, signal())).toBeNull();
      const info = await p.describe(n, signal());
      expect(info).toMatchObject({ deleted: true, tags: { owner: 'keygate' }, versions: [] });
      expect((await failure(p.create(n, text('two'), {}, signal()))).kind).toBe('deleted');
      expect((await failure(p.addVersion(n, text('two'), { stage: 'current' }, signal()))).kind).toBe('deleted');
      expect((await failure(p.delete(n, { force: false }, signal()))).kind).toBe('deleted');
      await p.restore(n, signal());
      expect(valueText((await p.read(n, { stage: 'current' }, signal()))?.value)).toBe('one');
      await p.delete(n, { force: true }, signal());
      expect(await p.describe(n, signal())).toBeNull();
      // The name is free again after a purge.
      await p.create(n, text('fresh'), {}, signal());
      expect(valueText((await p.read(n, { stage: 'current' }, signal()))?.value)).toBe('fresh');
    });

    it('purges an already soft-deleted secret with force, and says not_found for what never existed', async () => {
      const n = unique('purge');
      await p.create(n, text('one'), {}, signal());
      await p.delete(n, { force: false }, signal());
      await p.delete(n, { force: true }, signal());
      expect(await p.describe(n, signal())).toBeNull();
      expect((await failure(p.delete(unique('nothing'), { force: false }, signal()))).kind).toBe('not_found');
      expect((await failure(p.restore(unique('nothing'), signal()))).kind).toBe('not_found');
      expect(p.capabilities).toMatchObject({ recoverableDelete: true, destroyVersion: false });
      expect(p.destroyVersion).toBeUndefined();
    });
  });

  describe('list', () => {
    it('pages through more than one Azure page with the prefix filtered client-side, without loss or duplicates', async () => {
      const prefix = unique('list-');
      const names = Array.from({ length: 31 }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`);
      for (const n of names) await p.create(n, text('x'), {}, signal());
      await p.create(unique('lisx'), text('x'), {}, signal());
      for (const pageSize of [7, 30, 100]) {
        const seen: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const page = await p.list({ prefix, pageSize, ...(token === undefined ? {} : { pageToken: token }) }, signal());
          expect(page.names.length).toBeLessThanOrEqual(pageSize);
          seen.push(...page.names);
          token = page.nextPageToken;
          // The token names an Azure page by its query only: no host, no vault URL.
          if (token !== undefined) expect(new TextDecoder().decode(fromBase64(token) ?? new Uint8Array())).not.toContain('127.0.0.1');
          pages++;
        } while (token !== undefined && pages < 50);
        expect(seen).toEqual(names);
      }
      // A deleted secret is not listed.
      await p.delete(names[0] ?? '', { force: false }, signal());
      const after = await p.list({ prefix, pageSize: 100 }, signal());
      expect(after.names).not.toContain(names[0]);
    });

    it('refuses a forged page token', async () => {
      expect((await failure(p.list({ prefix: '', pageSize: 5, pageToken: 'not a token!' }, signal()))).kind).toBe('invalid');
      // A token is only ever a query: a host smuggled into it is dropped, the configured vault is asked.
      const forged = Buffer.from(JSON.stringify({ q: 'api-version=7.6&maxresults=1&$skiptoken=x&evil=https://example.invalid/', s: 0 })).toString('base64url');
      const e = await failure(p.list({ prefix: '', pageSize: 5, pageToken: forged }, signal()));
      expect(e.kind).toBe('invalid');
    });
  });

  describe('tags', () => {
    it('sets and removes tags on the current version and carries them to new versions', async () => {
      const n = unique('tags');
      await p.create(n, text('one'), { a: '1' }, signal());
      await p.putTags(n, { b: '2', a: '3' }, signal());
      await p.addVersion(n, text('two'), { stage: 'current' }, signal());
      expect((await p.describe(n, signal()))?.tags).toEqual({ a: '3', b: '2' });
      await p.removeTags(n, ['a'], signal());
      expect((await p.describe(n, signal()))?.tags).toEqual({ b: '2' });
      // Plain Azure readers see the tags on the newest version.
      expect((await native.getSecret(n)).properties.tags).toEqual({ b: '2' });
      expect((await failure(p.putTags(n, { [STAGE_TAG]: 'pending' }, signal()))).kind).toBe('invalid');
      expect((await failure(p.removeTags(n, [COPY_TAG], signal()))).kind).toBe('invalid');
      expect((await failure(p.create(unique('tags2'), text('x'), { [STAGE_TAG]: 'x' }, signal()))).kind).toBe('invalid');
      expect((await failure(p.putTags(unique('none'), { a: 'b' }, signal()))).kind).toBe('not_found');
    });

    it('keeps user tags through a pending rotation', async () => {
      const n = unique('tagsrot');
      await p.create(n, text('one'), { env: 'prod' }, signal());
      const pending = await p.addVersion(n, text('two'), { stage: 'pending' }, signal());
      await p.putTags(n, { during: 'rotation' }, signal());
      await p.promote(n, pending.id, signal());
      expect((await p.describe(n, signal()))?.tags).toEqual({ env: 'prod', during: 'rotation' });
    });
  });

  describe('binary values', () => {
    it('stores bytes as base64 text marked with the content type and reads them back as bytes', async () => {
      const n = unique('binary');
      const bytes = new Uint8Array([0, 1, 2, 250, 255, 10, 13, 0x80]);
      await p.create(n, { kind: 'binary', bytes: new Sensitive(bytes) }, {}, signal());
      const read = await p.read(n, { stage: 'current' }, signal());
      expect(read?.value.kind === 'binary' ? [...read.value.bytes.reveal()] : null).toEqual([...bytes]);
      const raw = await native.getSecret(n);
      expect(raw.properties.contentType).toBe(BINARY_CONTENT_TYPE);
      expect(raw.value).toBe(Buffer.from(bytes).toString('base64'));
      // Text that happens to look like base64 stays text without the content type.
      await p.addVersion(n, text('AAEC'), { stage: 'current' }, signal());
      expect((await p.read(n, { stage: 'current' }, signal()))?.value.kind).toBe('text');
      expect(p.capabilities.binary).toBe(true);
    });
  });

  describe('name mapping through the real service', () => {
    it('round-trips awkward logical paths, keeps case-only differences apart, and refuses names over 127 characters', async () => {
      const mapper = createNameMapper(AZURE_NAMING, `k${run}-`);
      const paths = ['payments/db/primary', 'a.b/c.d', 'Upper/lower', 'upper/lower', 'ünï/cødé/🔑', 'dash-and_underscore', 'x'.repeat(127 - `k${run}-`.length)];
      for (const logical of paths) {
        const cloud = mapper.toCloud(logical);
        expect(cloud).toMatch(/^[0-9a-zA-Z-]{1,127}$/);
        await p.create(cloud, text(logical), {}, signal());
      }
      for (const logical of paths) {
        const read = await p.read(mapper.toCloud(logical), { stage: 'current' }, signal());
        expect(valueText(read?.value)).toBe(logical);
      }
      const listed: string[] = [];
      let token: string | undefined;
      do {
        const page = await p.list({ prefix: mapper.cloudPrefix(''), pageSize: 50, ...(token === undefined ? {} : { pageToken: token }) }, signal());
        listed.push(...page.names);
        token = page.nextPageToken;
      } while (token !== undefined);
      expect(listed.map((c) => mapper.fromCloud(c)).sort()).toEqual([...paths].sort());
      // Folder listing: only names under payments/.
      const folder = await p.list({ prefix: mapper.cloudPrefix('payments'), pageSize: 50 }, signal());
      expect(folder.names.map((c) => mapper.fromCloud(c))).toEqual(['payments/db/primary']);
      let tooLong: unknown;
      try {
        mapper.toCloud('x'.repeat(128 - `k${run}-`.length));
      } catch (err) {
        tooLong = err;
      }
      expect(isGatewayError(tooLong, 'ERR_VALIDATION')).toBe(true);
    });
  });

  describe('errors are sanitised', () => {
    const canaryFree = (e: ProviderError) => {
      const said = `${e.message} ${String(e)} ${e.name}`;
      for (const id of emulator.requestIds) expect(said).not.toContain(id);
      expect(said).not.toMatch(/sts\.windows\.net|subscriptions|keygate-double|127\.0\.0\.1|vault\.azure\.net|Caller|AKV/);
    };

    it('throttling becomes throttled with the Retry-After hint', async (ctx) => {
      if (emulator.queueFaults === null) return ctx.skip();
      const n = unique('throttle');
      await p.create(n, text('one'), {}, signal());
      emulator.queueFaults({ status: 429, code: 'Throttled', retryAfter: 7 });
      const e = await failure(p.read(n, { stage: 'current' }, signal()));
      expect(e).toMatchObject({ kind: 'throttled', options: { retryAfterMs: 7000, retryable: true } });
      canaryFree(e);
    });

    it('5xx becomes unavailable (retryable), and the SDK does not retry by itself', async (ctx) => {
      if (emulator.queueFaults === null) return ctx.skip();
      const n = unique('fivexx');
      await p.create(n, text('one'), {}, signal());
      emulator.queueFaults({ status: 503, code: 'ServiceUnavailable' });
      const e = await failure(p.read(n, { stage: 'current' }, signal()));
      expect(e).toMatchObject({ kind: 'unavailable', options: { retryable: true } });
      canaryFree(e);
      // The next call works: the one queued fault was answered once, not retried inside the SDK.
      expect(valueText((await p.read(n, { stage: 'current' }, signal()))?.value)).toBe('one');
    });

    it('a hung vault fails with timeout when the signal aborts', async (ctx) => {
      if (emulator.queueFaults === null) return ctx.skip();
      const n = unique('hang');
      await p.create(n, text('one'), {}, signal());
      emulator.queueFaults({ status: 0, code: 'hang', hang: true });
      const started = Date.now();
      const e = await failure(p.read(n, { stage: 'current' }, AbortSignal.timeout(300)));
      expect(e.kind).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('a credential without a role, a token the vault rejects and a credential that fails all become unauthorized', async (ctx) => {
      if (emulator.forbiddenCredential === null || emulator.invalidCredential === null) return ctx.skip();
      const forbidden = await failure(portOn(emulator, emulator.forbiddenCredential).validate(signal()));
      expect(forbidden.kind).toBe('unauthorized');
      canaryFree(forbidden);
      const invalid = await failure(portOn(emulator, emulator.invalidCredential).read(unique('x'), { stage: 'current' }, signal()));
      expect(invalid.kind).toBe('unauthorized');
      canaryFree(invalid);
      const broken: TokenCredential = {
        getToken: () => Promise.reject(new CredentialUnavailableError('tenant 72f988bf-86f1-41af-91ab-2d7cd011db47 via https://login.microsoftonline.com')),
      };
      const unavailable = await failure(portOn(emulator, broken).validate(signal()));
      expect(unavailable.kind).toBe('unauthorized');
      expect(unavailable.message).not.toContain('72f988bf');
    });

    it('a name Azure refuses becomes invalid, in Keygate\'s words', async () => {
      const e = await failure(p.create('bad_name.with/chars', text('x'), {}, signal()));
      expect(e.kind).toBe('invalid');
      expect(e.message).not.toContain('bad_name');
      canaryFree(e);
    });

    it('refuses to start a call on an aborted signal', async () => {
      const aborted = AbortSignal.abort();
      expect((await failure(p.read(unique('x'), { stage: 'current' }, aborted))).kind).toBe('timeout');
    });
  });
});
