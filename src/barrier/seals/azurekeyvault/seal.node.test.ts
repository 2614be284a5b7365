/**
 * The `azurekeyvault` seal against the Azure Key Vault emulator (Lowkey Vault when its jar is
 * there, else the in-repo double: test/emulators/lowkey-vault.ts). Keys are created, rotated
 * and disabled through a plain `KeyClient`, as an operator would.
 */

import type { TokenCredential } from '@azure/identity';
import { KeyClient } from '@azure/keyvault-keys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebRuntime, fromBase64, fromUtf8, isGatewayError, toBase64, toHex, utf8 } from '../../../core/index.js';
import type { KeyWrapper, WrappedKey } from '../../types.js';
import { createCaptureLogger, freePort } from '../test-kms.node.js';
import { azureEmulatorSkipReason, startLowkeyVault } from '../../../../test/emulators/lowkey-vault.js';
import type { AzureKeyVaultEmulator } from '../../../../test/emulators/lowkey-vault.js';
import { AZURE_KEY_VAULT_SEAL_TYPE, UNSEAL_FAILED_MESSAGE, azureKeyVaultSeal, azureKeyVaultSealOptionsSchema, createAzureKeyVaultSeal } from './index.js';

const skip = azureEmulatorSkipReason('azurekeyvault seal');

/** Everything an error could show: message, code, JSON form, and its cause rendered. */
const rendered = (err: unknown): string => {
  if (!(err instanceof Error)) return String(err);
  return [err.message, JSON.stringify(err), String(err.cause), err.stack ?? ''].join('\n');
};

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

const aadFor = (cluster: string) => utf8(`keygate/${cluster}/root-key`);

describe.skipIf(skip !== null)('azurekeyvault seal on the Azure Key Vault emulator', () => {
  let emulator: AzureKeyVaultEmulator;
  let admin: KeyClient;
  const logs: string[] = [];
  const errors: unknown[] = [];
  let counter = 0;

  const newKey = async (ops: ('wrapKey' | 'unwrapKey' | 'sign' | 'verify')[] = ['wrapKey', 'unwrapKey']): Promise<string> => {
    const name = `seal-key-${++counter}`;
    await admin.createRsaKey(name, { keySize: 2048, keyOps: ops });
    return name;
  };
  const sealFor = (keyName: string, extra: { credential?: TokenCredential; vaultUrl?: string; timeoutMs?: number } = {}): KeyWrapper =>
    createAzureKeyVaultSeal(
      azureKeyVaultSealOptionsSchema.parse({
        vault_url: extra.vaultUrl ?? emulator.vaultUrl,
        key_name: keyName,
        ca_pem: emulator.caPem,
        disable_challenge_resource_verification: true,
        service_version: '7.6',
      }),
      { runtime: createWebRuntime({ logger: createCaptureLogger(logs) }), credential: extra.credential ?? emulator.cryptoUserCredential, ...(extra.timeoutMs === undefined ? {} : { timeoutMs: extra.timeoutMs }) },
    );
  const versionIn = (w: WrappedKey) => w.keyId?.split('/').at(-1) ?? '';
  /** Asserts the one opaque refusal, and keeps it for the canary test. */
  const expectRefused = async (promise: Promise<unknown>) => {
    const err = await rejectionOf(promise);
    errors.push(err);
    expect(isGatewayError(err, 'ERR_UNSEAL_FAILED')).toBe(true);
    expect(err instanceof Error ? err.message : '').toBe(UNSEAL_FAILED_MESSAGE);
    expect(err instanceof Error ? err.cause : 'x').toBeUndefined();
  };
  const expectUnavailable = async (promise: Promise<unknown>) => {
    const err = await rejectionOf(promise);
    errors.push(err);
    expect(isGatewayError(err, 'ERR_SEAL_UNAVAILABLE')).toBe(true);
    return err;
  };
  /** The envelope inside a `WrappedKey`, edited by `edit`, re-encoded. */
  const editEnvelope = (w: WrappedKey, edit: (record: Record<string, unknown>) => void): WrappedKey => {
    const record = JSON.parse(fromUtf8(fromBase64(w.ciphertext) ?? new Uint8Array())) as Record<string, unknown>;
    edit(record);
    return { ...w, ciphertext: toBase64(utf8(JSON.stringify(record))) };
  };
  const flipByte = (b64: unknown, at: number): string => {
    const bytes = fromBase64(String(b64)) ?? new Uint8Array();
    bytes[at] = (bytes[at] ?? 0) ^ 0x01;
    return toBase64(bytes);
  };

  beforeAll(async () => {
    // Nothing in @azure/identity may find a real tenant or secret, even by mistake.
    for (const key of Object.keys(process.env)) if (key.startsWith('AZURE_') || key === 'IDENTITY_ENDPOINT' || key === 'MSI_ENDPOINT') delete process.env[key];
    emulator = await startLowkeyVault();
    admin = new KeyClient(emulator.vaultUrl, emulator.credential, {
      serviceVersion: '7.6',
      disableChallengeResourceVerification: true,
      retryOptions: { maxRetries: 0 },
      tlsOptions: { ca: emulator.caPem },
    });
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  it('round-trips a root key with only the Key Vault Crypto Service Encryption User role; the WrappedKey names the key version and holds no key material', async () => {
    const name = await newKey();
    const seal = sealFor(name);
    const rootKey = createWebRuntime().randomBytes(32);
    const wrapped = await seal.wrap(rootKey, aadFor('c1'));
    expect(wrapped.type).toBe(AZURE_KEY_VAULT_SEAL_TYPE);
    expect(wrapped.keyId).toMatch(new RegExp(`^${emulator.vaultUrl.replace(/\./g, '\\.')}/keys/${name}/[0-9a-zA-Z]{32}$`));
    const record = JSON.parse(fromUtf8(fromBase64(wrapped.ciphertext) ?? new Uint8Array())) as Record<string, unknown>;
    expect(Object.keys(record).sort()).toEqual(['ciphertext', 'kid', 'nonce', 'v', 'wrapped_dek']);
    expect(record).toMatchObject({ v: 1, kid: wrapped.keyId });
    expect(fromBase64(String(record.wrapped_dek))?.length).toBe(256);
    expect(fromBase64(String(record.nonce))?.length).toBe(12);
    expect(fromBase64(String(record.ciphertext))?.length).toBe(32 + 16);
    const stored = JSON.stringify(wrapped) + fromUtf8(fromBase64(wrapped.ciphertext) ?? new Uint8Array());
    for (const form of [toHex(rootKey), toBase64(rootKey)]) expect(stored).not.toContain(form);
    expect(await seal.unwrap(wrapped, aadFor('c1'))).toEqual(rootKey);
    // A fresh DEK and nonce every time.
    const again = await seal.wrap(rootKey, aadFor('c1'));
    expect(again.ciphertext).not.toBe(wrapped.ciphertext);
    await expect(seal.validate?.(AbortSignal.timeout(5000))).resolves.toBeUndefined();
  });

  it('refuses a different aad (another cluster or purpose), with the one opaque error, although Key Vault unwraps the DEK', async () => {
    const seal = sealFor(await newKey());
    const wrapped = await seal.wrap(new Uint8Array(32).fill(7), aadFor('c1'));
    await expectRefused(seal.unwrap(wrapped, aadFor('c2')));
    await expectRefused(seal.unwrap(wrapped, new Uint8Array()));
    expect(await seal.unwrap(wrapped, aadFor('c1'))).toEqual(new Uint8Array(32).fill(7));
  });

  it('refuses a wrapped key made by another key: another key name, a version of another key, another DEK spliced in', async () => {
    const nameA = await newKey();
    const nameB = await newKey();
    const sealA = sealFor(nameA);
    const sealB = sealFor(nameB);
    const fromB = await sealB.wrap(new Uint8Array(32).fill(1), aadFor('c1'));
    await expectRefused(sealA.unwrap(fromB, aadFor('c1')));
    // B's version under A's name: A has no such version, so Key Vault answers 404 and the seal refuses.
    const kid = `${emulator.vaultUrl}/keys/${nameA}/${versionIn(fromB)}`;
    await expectRefused(sealA.unwrap(editEnvelope({ ...fromB, keyId: kid }, (r) => (r.kid = kid)), aadFor('c1')));
    // A's DEK from another wrap: Key Vault unwraps it, AES-GCM refuses it.
    const one = await sealA.wrap(new Uint8Array(32).fill(2), aadFor('c1'));
    const two = await sealA.wrap(new Uint8Array(32).fill(3), aadFor('c1'));
    const twoRecord = JSON.parse(fromUtf8(fromBase64(two.ciphertext) ?? new Uint8Array())) as Record<string, unknown>;
    await expectRefused(sealA.unwrap(editEnvelope(one, (r) => (r.wrapped_dek = twoRecord.wrapped_dek)), aadFor('c1')));
  });

  it('refuses flipped bytes in the wrapped DEK, the AES-GCM ciphertext and tag, and the nonce; a mismatched keyId, type or format', async () => {
    const seal = sealFor(await newKey());
    const wrapped = await seal.wrap(new Uint8Array(32).fill(9), aadFor('c1'));
    const lastLine = () => JSON.parse(logs.at(-1) ?? '{}') as Record<string, unknown>;
    for (const at of [0, 100, 255]) {
      await expectRefused(seal.unwrap(editEnvelope(wrapped, (r) => (r.wrapped_dek = flipByte(r.wrapped_dek, at))), aadFor('c1')));
      // Refused by Key Vault itself (OAEP decoding: 400 BadParameter), not by a local check.
      expect(lastLine()).toMatchObject({ operation: 'unwrap', failure: 'refused', azure_error: 'BadParameter' });
    }
    for (const at of [0, 31, 32, 47]) {
      await expectRefused(seal.unwrap(editEnvelope(wrapped, (r) => (r.ciphertext = flipByte(r.ciphertext, at))), aadFor('c1')));
      expect(lastLine()).toMatchObject({ operation: 'unwrap', failure: 'refused', azure_error: 'none' });
    }
    await expectRefused(seal.unwrap(editEnvelope(wrapped, (r) => (r.nonce = flipByte(r.nonce, 5))), aadFor('c1')));
    await expectRefused(seal.unwrap(editEnvelope(wrapped, (r) => (r.v = 2)), aadFor('c1')));
    await expectRefused(seal.unwrap(editEnvelope(wrapped, (r) => (r.extra = 1)), aadFor('c1')));
    await expectRefused(seal.unwrap({ ...wrapped, keyId: `${wrapped.keyId ?? ''}x` }, aadFor('c1')));
    await expectRefused(seal.unwrap({ ...wrapped, type: 'awskms' }, aadFor('c1')));
    await expectRefused(seal.unwrap({ ...wrapped, ciphertext: 'not base64!' }, aadFor('c1')));
    await expectRefused(seal.unwrap({ ...wrapped, ciphertext: flipByte(wrapped.ciphertext, 10) }, aadFor('c1')));
    // A kid pointing at another host is never contacted: refused for naming another key, or
    // served by the configured vault (the version is looked up there, not at the stored host).
    const elsewhere = `https://attacker.example/keys/other/${versionIn(wrapped)}`;
    await expectRefused(seal.unwrap(editEnvelope({ ...wrapped, keyId: elsewhere }, (r) => (r.kid = elsewhere)), aadFor('c1')));
    const sameKeyElsewhere = `https://attacker.example/keys/${wrapped.keyId?.split('/').at(-2) ?? ''}/${versionIn(wrapped)}`;
    expect(await seal.unwrap(editEnvelope({ ...wrapped, keyId: sameKeyElsewhere }, (r) => (r.kid = sameKeyElsewhere)), aadFor('c1'))).toEqual(new Uint8Array(32).fill(9));
    expect(await seal.unwrap(wrapped, aadFor('c1'))).toEqual(new Uint8Array(32).fill(9));
  });

  it('after a key rotation, wraps with the new version and still unwraps what the old version wrapped', async () => {
    const name = await newKey();
    const seal = sealFor(name);
    const old = await seal.wrap(new Uint8Array(32).fill(4), aadFor('c1'));
    const rotated = await admin.rotateKey(name);
    const fresh = await seal.wrap(new Uint8Array(32).fill(5), aadFor('c1'));
    expect(versionIn(fresh)).toBe(rotated.properties.version);
    expect(versionIn(fresh)).not.toBe(versionIn(old));
    expect(await seal.unwrap(old, aadFor('c1'))).toEqual(new Uint8Array(32).fill(4));
    expect(await seal.unwrap(fresh, aadFor('c1'))).toEqual(new Uint8Array(32).fill(5));
  });

  it('treats a disabled key version as unavailable (not tampering): stays sealed with an opaque error and a clear log line, and unwraps again once re-enabled', async () => {
    const name = await newKey();
    const seal = sealFor(name);
    const wrapped = await seal.wrap(new Uint8Array(32).fill(6), aadFor('c1'));
    const version = versionIn(wrapped);
    await admin.updateKeyProperties(name, version, { enabled: false });
    const before = logs.length;
    for (const attempt of [seal.unwrap(wrapped, aadFor('c1')), seal.wrap(new Uint8Array(32), aadFor('c1')), seal.validate?.(AbortSignal.timeout(5000)) ?? Promise.resolve()]) {
      const err = await expectUnavailable(attempt);
      expect(err instanceof Error ? err.message : '').not.toMatch(/disabled/i);
    }
    const lines = logs.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(line).toMatchObject({ level: 'error', seal: 'azurekeyvault', failure: 'key_disabled' });
    expect(String(lines[0]?.msg)).toMatch(/disabled/);
    await admin.updateKeyProperties(name, version, { enabled: true });
    expect(await seal.unwrap(wrapped, aadFor('c1'))).toEqual(new Uint8Array(32).fill(6));
  });

  it('answers ERR_SEAL_UNAVAILABLE when the key service is down, throttling, failing, hanging or the caller gives up', async () => {
    const name = await newKey();
    const wrapped = await sealFor(name).wrap(new Uint8Array(32).fill(8), aadFor('c1'));
    const down = sealFor(name, { vaultUrl: `https://127.0.0.1:${await freePort()}` });
    await expectUnavailable(down.wrap(new Uint8Array(32), aadFor('c1')));
    await expectUnavailable(down.unwrap(wrapped, aadFor('c1')));
    await expectUnavailable(down.validate?.(AbortSignal.timeout(5000)) ?? Promise.resolve());
    // A caller that has already given up sends nothing and waits for nothing.
    await expectUnavailable(sealFor(name).unwrap(wrapped, aadFor('c1'), AbortSignal.abort()));
    if (emulator.queueFaults === null) return; // Lowkey Vault cannot inject faults.
    const seal = sealFor(name, { timeoutMs: 500 });
    for (const fault of [{ status: 503, code: 'ServiceUnavailable' }, { status: 429, code: 'Throttled', retryAfter: 1 }, { status: 500, code: 'InternalServerError' }]) {
      emulator.queueFaults(fault);
      await expectUnavailable(seal.unwrap(wrapped, aadFor('c1')));
    }
    // The unwrapKey call itself failing on the server is unavailable too, not a refusal.
    emulator.queueFaults({ status: 503, code: 'ServiceUnavailable', match: '/unwrapkey' });
    await expectUnavailable(seal.unwrap(wrapped, aadFor('c1')));
    emulator.queueFaults({ hang: true, status: 0, code: 'hang' });
    const started = Date.now();
    await expectUnavailable(seal.unwrap(wrapped, aadFor('c1')));
    expect(Date.now() - started).toBeLessThan(5000);
    emulator.queueFaults({ hang: true, status: 0, code: 'hang' });
    const caller = new AbortController();
    setTimeout(() => caller.abort(), 100);
    await expectUnavailable(sealFor(name, { timeoutMs: 60_000 }).unwrap(wrapped, aadFor('c1'), caller.signal));
    expect(await seal.unwrap(wrapped, aadFor('c1'))).toEqual(new Uint8Array(32).fill(8));
  });

  it('validates: resolves for a usable key; ERR_SEAL_UNAVAILABLE for a missing key, a key without wrapKey/unwrapKey, or credentials without a role', async () => {
    const good = await newKey();
    await expect(sealFor(good).validate?.(AbortSignal.timeout(5000))).resolves.toBeUndefined();
    await expectUnavailable(sealFor('no-such-key').validate?.(AbortSignal.timeout(5000)) ?? Promise.resolve());
    await expectUnavailable(sealFor('no-such-key').wrap(new Uint8Array(32), aadFor('c1')));
    const signOnly = await newKey(['sign', 'verify']);
    await expectUnavailable(sealFor(signOnly).validate?.(AbortSignal.timeout(5000)) ?? Promise.resolve());
    await expectUnavailable(sealFor(signOnly).wrap(new Uint8Array(32), aadFor('c1')));
    if (emulator.forbiddenCredential !== null) await expectUnavailable(sealFor(good, { credential: emulator.forbiddenCredential }).validate?.(AbortSignal.timeout(5000)) ?? Promise.resolve());
    if (emulator.invalidCredential !== null) await expectUnavailable(sealFor(good, { credential: emulator.invalidCredential }).validate?.(AbortSignal.timeout(5000)) ?? Promise.resolve());
  });

  it('a deleted (missing) key is unavailable on unwrap, not a refusal: the operator can recover it', async () => {
    const name = await newKey();
    const wrapped = await sealFor(name).wrap(new Uint8Array(32).fill(1), aadFor('c1'));
    // Another seal configured with a key name that does not exist stands in for a deleted key;
    // the kid is renamed to it so the envelope names that key.
    const kid = `${emulator.vaultUrl}/keys/gone-key/${versionIn(wrapped)}`;
    await expectUnavailable(sealFor('gone-key').unwrap(editEnvelope({ ...wrapped, keyId: kid }, (r) => (r.kid = kid)), aadFor('c1')));
  });

  it('builds from its definition with no network call, and refuses stanzas that do not parse', () => {
    expect(azureKeyVaultSeal.type).toBe('azurekeyvault');
    const options = azureKeyVaultSeal.options.parse({ vault_name: 'kg-prod-seal', key_name: 'keygate-root', tenant_id: '00000000-0000-0000-0000-000000000001', client_id: '00000000-0000-0000-0000-000000000002', client_secret: 'never-sent' });
    // A real vault name and a client secret: constructing must not contact anything (no await, no handles).
    const seal = azureKeyVaultSeal.create(options as never, { runtime: createWebRuntime() });
    expect(seal.type).toBe('azurekeyvault');
    const defaulted = azureKeyVaultSeal.create(azureKeyVaultSeal.options.parse({ vault_name: 'kg-prod-seal', key_name: 'k' }) as never, { runtime: createWebRuntime() });
    expect(typeof defaulted.validate).toBe('function');
    expect(azureKeyVaultSeal.options.safeParse({ key_name: 'k' }).success).toBe(false);
    expect(azureKeyVaultSeal.options.safeParse({ vault_name: 'kg', key_name: 'k' }).success).toBe(false);
  });

  it('never puts vault names, tenant ids, request ids or key material in error messages or log lines', async () => {
    const name = await newKey();
    const seal = sealFor(name);
    const rootKey = createWebRuntime().randomBytes(32);
    const wrapped = await seal.wrap(rootKey, aadFor('c1'));
    // Provoke the failures whose Azure messages carry names and ids.
    if (emulator.forbiddenCredential !== null) await expectUnavailable(sealFor(name, { credential: emulator.forbiddenCredential }).unwrap(wrapped, aadFor('c1')));
    if (emulator.invalidCredential !== null) await expectUnavailable(sealFor(name, { credential: emulator.invalidCredential }).wrap(rootKey, aadFor('c1')));
    if (emulator.queueFaults !== null) {
      emulator.queueFaults({ status: 503, code: 'ServiceUnavailable' });
      await expectUnavailable(seal.unwrap(wrapped, aadFor('c1')));
    }
    await expectRefused(seal.unwrap(editEnvelope(wrapped, (r) => (r.wrapped_dek = flipByte(r.wrapped_dek, 3))), aadFor('c1')));
    await expectRefused(seal.unwrap(wrapped, aadFor('c2')));
    const said = [...errors.map(rendered), ...logs].join('\n');
    expect(errors.length).toBeGreaterThan(10);
    const canaries = [toHex(rootKey), toBase64(rootKey), ...emulator.requestIds];
    if (emulator.canaries !== null) canaries.push(emulator.canaries.tenantId, emulator.canaries.vaultName);
    for (const canary of canaries) expect(said).not.toContain(canary);
    expect(said).not.toMatch(/sts\.windows\.net|subscriptions\/|Caller|AKV1|x-ms-request-id|OAEP padding|127\.0\.0\.1/);
  });
});
