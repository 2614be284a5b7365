/**
 * The `azurekeyvault` seal: a `KeyWrapper` over an RSA key in Azure Key Vault (or Managed
 * HSM), through `@azure/keyvault-keys` (docs/seals/azurekeyvault.md).
 *
 * - Envelope: RSA-OAEP binds no associated data, so `wrap` seals the root key with
 *   AES-256-GCM under a fresh 256-bit DEK with the barrier's `aad` (cluster and purpose) as
 *   associated data, and has Key Vault wrap only the DEK (`wrapKey`, RSA-OAEP-256) with the
 *   key's newest version. `unwrap` has the recorded version unwrap the DEK, then opens the
 *   root key with the same `aad`: a wrapped key from another cluster or purpose is refused
 *   even though Key Vault itself would unwrap its DEK.
 * - Only the key version is taken from stored data: requests always go to the configured
 *   vault and key name, so a tampered `kid` can never send a bearer token elsewhere.
 * - Rotation: a new key version in Key Vault is picked up by the next `wrap`; older wrapped
 *   keys still unwrap with the version they recorded, as long as it stays enabled.
 * - Failures (errors.ts): refusals of the wrapped key are one opaque `ERR_UNSEAL_FAILED`;
 *   everything an operator can fix (network, throttling, credentials, permissions, a disabled
 *   key) is `ERR_SEAL_UNAVAILABLE`, with the reason in one log line that names no vault,
 *   tenant, request or key material.
 * - The SDK does not retry (the gateway does, with backoff); every call is bounded
 *   (`CALL_TIMEOUT_MS`), follows the caller's `AbortSignal`, and is also raced, so a call
 *   stuck before the wire (credential resolution) still returns when the signal fires.
 */

import { ClientSecretCredential, DefaultAzureCredential } from '@azure/identity';
import type { TokenCredential } from '@azure/identity';
import { CryptographyClient, KeyClient } from '@azure/keyvault-keys';
import type { CryptographyClientOptions, KeyVaultKey } from '@azure/keyvault-keys';
import { azureKeyVaultClientOptions } from '../../../cloud/azure/index.js';
import type { Logger, Runtime } from '../../../core/index.js';
import { KEY_BYTES, NONCE_BYTES, importAesKey, open, seal } from '../../aes-gcm.js';
import type { KeyWrapper, WrappedKey } from '../../types.js';
import { decodeEnvelope, encodeEnvelope, parseKeyVersionId } from './envelope.js';
import { azureErrorLabel, azureSealError, azureSealFailureSentence, classifyAzureSealError } from './errors.js';
import type { AzureSealCall, AzureSealFailure, AzureSealOperation } from './errors.js';
import { AZURE_ENVIRONMENTS, sealVaultUrlOf } from './options.js';
import type { AzureKeyVaultSealOptions } from './options.js';

/** `KeyWrapper.type` of this seal, recorded in every `WrappedKey`. */
export const AZURE_KEY_VAULT_SEAL_TYPE = 'azurekeyvault';
/** The Key Vault algorithm that wraps the DEK. */
export const AZURE_WRAP_ALGORITHM = 'RSA-OAEP-256';
/** Default bound on each Key Vault call (token acquisition included), ms. */
export const CALL_TIMEOUT_MS = 10_000;

/** What the seal needs besides its options. */
export interface AzureKeyVaultSealDeps {
  runtime: Pick<Runtime, 'logger' | 'subtle' | 'randomBytes' | 'now'>;
  /** Replaces the credential the options describe (tests pass one that returns a dummy token). */
  credential?: TokenCredential;
  /** Bound on each Key Vault call, ms (default `CALL_TIMEOUT_MS`). */
  timeoutMs?: number;
}

/**
 * The credential the options describe: a service principal with `client_secret`, else
 * `DefaultAzureCredential` (environment, workload identity, managed identity, Azure CLI, …),
 * with `tenant_id` and `client_id` passed on. Both use the environment's authority. Makes
 * no network call.
 */
export function azureSealCredentialOf(options: AzureKeyVaultSealOptions): TokenCredential {
  const authorityHost = AZURE_ENVIRONMENTS[options.environment ?? 'AZUREPUBLICCLOUD'].authorityHost;
  if (options.client_secret !== undefined && options.tenant_id !== undefined && options.client_id !== undefined) {
    return new ClientSecretCredential(options.tenant_id, options.client_id, options.client_secret, { authorityHost });
  }
  return new DefaultAzureCredential({
    authorityHost,
    ...(options.tenant_id === undefined ? {} : { tenantId: options.tenant_id }),
    ...(options.client_id === undefined ? {} : { managedIdentityClientId: options.client_id, workloadIdentityClientId: options.client_id }),
  });
}

/** Client options the seal options imply: SDK retries off, optional CA and API version. A fresh object per client (the SDK mutates it). */
export function azureSealClientOptions(options: AzureKeyVaultSealOptions): CryptographyClientOptions {
  return azureKeyVaultClientOptions(options);
}

type Attempt<T> = { ok: true; value: T } | { ok: false; failure: AzureSealFailure; cause?: unknown };

/** Key operations a use of the key needs. */
type KeyUse = readonly ('wrapKey' | 'unwrapKey')[];

/**
 * Creates the seal. Makes no network call (`validate` makes the first); throws nothing for
 * valid options. `wrap` and `validate` throw only `ERR_SEAL_UNAVAILABLE`; `unwrap` throws
 * `ERR_UNSEAL_FAILED` (opaque) for a wrapped key this seal cannot open and
 * `ERR_SEAL_UNAVAILABLE` for the rest.
 */
export function createAzureKeyVaultSeal(options: AzureKeyVaultSealOptions, deps: AzureKeyVaultSealDeps): KeyWrapper {
  const { subtle, randomBytes } = deps.runtime;
  const logger: Logger = deps.runtime.logger.child({ seal: AZURE_KEY_VAULT_SEAL_TYPE });
  const vaultUrl = sealVaultUrlOf(options);
  const keyName = options.key_name;
  const credential = deps.credential ?? azureSealCredentialOf(options);
  const keyClient = new KeyClient(vaultUrl, credential, azureSealClientOptions(options));
  const timeoutMs = deps.timeoutMs ?? CALL_TIMEOUT_MS;

  /** Logs why `operation` failed (no names, ids or messages from Azure) and returns the error to throw. */
  const fail = (operation: AzureSealOperation, failure: AzureSealFailure, cause?: unknown) => {
    const line = { operation, failure, azure_error: cause === undefined ? 'none' : azureErrorLabel(cause) };
    const message = `azurekeyvault seal: ${azureSealFailureSentence(failure)}`;
    // Transport trouble clears by itself; anything else needs an operator (or is tampering).
    if (failure === 'timeout' || failure === 'throttled' || failure === 'unreachable') logger.warn(line, message);
    else logger.error(line, message);
    return azureSealError(failure, operation, cause);
  };

  /**
   * Runs one SDK call bounded by `timeoutMs` and `signal`. Resolves to the classified
   * failure instead of throwing, so callers decide what a failure means.
   */
  const attempt = <T>(call: AzureSealCall, signal: AbortSignal | undefined, run: (abortSignal: AbortSignal) => Promise<T>): Promise<Attempt<T>> =>
    new Promise((resolve) => {
      const controller = new AbortController();
      let settled = false;
      const settle = (outcome: Attempt<T>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      const onAbort = () => {
        controller.abort();
        settle({ ok: false, failure: 'timeout' });
      };
      const timer = setTimeout(onAbort, timeoutMs);
      if (signal?.aborted === true) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      let running: Promise<T>;
      try {
        running = run(controller.signal);
      } catch (err) {
        return settle({ ok: false, failure: classifyAzureSealError(err, call), cause: err });
      }
      running.then(
        (value) => settle({ ok: true, value }),
        (err: unknown) => settle({ ok: false, failure: classifyAzureSealError(err, call), cause: err }),
      );
    });

  const getKey = (version: string | undefined, signal: AbortSignal | undefined) =>
    attempt('getKey', signal, (abortSignal) => keyClient.getKey(keyName, { abortSignal, ...(version === undefined ? {} : { version }) }));

  /** The version id of a key the service returned, when it is the configured key's. */
  const versionOf = (key: KeyVaultKey): string | null => {
    const id = typeof key.id === 'string' ? parseKeyVersionId(key.id) : null;
    return id !== null && id.name.toLowerCase() === keyName.toLowerCase() ? id.version : null;
  };

  /** Why `key` cannot be used for `use` now, or null. The service checks the same; checking first keeps the SDK's own (untyped) checks from firing. */
  const keyProblem = (key: KeyVaultKey, use: KeyUse): AzureSealFailure | null => {
    if (key.keyType !== 'RSA' && key.keyType !== 'RSA-HSM') return 'key_unsuitable';
    if (key.properties.enabled === false) return 'key_disabled';
    const ops = key.keyOperations;
    if (ops !== undefined && !use.every((op) => ops.includes(op))) return 'key_operation_forbidden';
    const now = deps.runtime.now();
    if (key.properties.notBefore !== undefined && now < key.properties.notBefore.getTime()) return 'key_unsuitable';
    if (key.properties.expiresOn !== undefined && now > key.properties.expiresOn.getTime()) return 'key_unsuitable';
    return null;
  };

  /** A client for one version, addressed through the configured vault and key name (never a URL from elsewhere). */
  const cryptoFor = (key: KeyVaultKey, version: string) =>
    new CryptographyClient({ ...key, id: `${vaultUrl}/keys/${keyName}/${version}` }, credential, azureSealClientOptions(options));

  return {
    type: AZURE_KEY_VAULT_SEAL_TYPE,

    async wrap(rootKey, aad, signal) {
      const latest = await getKey(undefined, signal);
      if (!latest.ok) throw fail('wrap', latest.failure, latest.cause);
      const version = versionOf(latest.value);
      if (version === null) throw fail('wrap', 'bad_answer');
      const problem = keyProblem(latest.value, ['wrapKey']);
      if (problem !== null) throw fail('wrap', problem);
      const dek = randomBytes(KEY_BYTES);
      try {
        const nonce = randomBytes(NONCE_BYTES);
        const sealed = await seal(subtle, await importAesKey(subtle, dek), nonce, rootKey, aad);
        const wrapped = await attempt('wrapKey', signal, (abortSignal) => cryptoFor(latest.value, version).wrapKey(AZURE_WRAP_ALGORITHM, dek, { abortSignal }));
        if (!wrapped.ok) throw fail('wrap', wrapped.failure, wrapped.cause);
        const wrappedDek = wrapped.value.result;
        if (!(wrappedDek instanceof Uint8Array) || wrappedDek.length === 0) throw fail('wrap', 'bad_answer');
        const kid = `${vaultUrl}/keys/${keyName}/${version}`;
        const record: WrappedKey = { type: AZURE_KEY_VAULT_SEAL_TYPE, keyId: kid, ciphertext: encodeEnvelope({ kid, wrappedDek: new Uint8Array(wrappedDek), nonce, ciphertext: sealed }) };
        return record;
      } finally {
        dek.fill(0);
      }
    },

    async unwrap(wrapped, aad, signal) {
      const refused = () => fail('unwrap', 'refused');
      if (wrapped.type !== AZURE_KEY_VAULT_SEAL_TYPE) throw refused();
      const envelope = decodeEnvelope(wrapped.ciphertext);
      if (envelope === null || wrapped.keyId !== envelope.kid) throw refused();
      const id = parseKeyVersionId(envelope.kid);
      // Another key name is another key: refused without asking anyone. The host is not
      // compared (a vault may be reached by another name); requests go to the configured one.
      if (id === null || id.name.toLowerCase() !== keyName.toLowerCase()) throw refused();

      const recorded = await getKey(id.version, signal);
      if (!recorded.ok) {
        if (recorded.failure !== 'key_not_found') throw fail('unwrap', recorded.failure, recorded.cause);
        // The version is unknown. If the key itself exists, this wrapped key was never made by
        // it (refused); if the key is gone, that is the operator's to fix (unavailable).
        const key = await getKey(undefined, signal);
        if (key.ok) throw refused();
        throw fail('unwrap', key.failure, key.cause);
      }
      const problem = keyProblem(recorded.value, ['unwrapKey']);
      if (problem !== null) throw fail('unwrap', problem);

      const unwrapped = await attempt('unwrapKey', signal, (abortSignal) => cryptoFor(recorded.value, id.version).unwrapKey(AZURE_WRAP_ALGORITHM, envelope.wrappedDek, { abortSignal }));
      if (!unwrapped.ok) throw fail('unwrap', unwrapped.failure, unwrapped.cause);
      const dek = unwrapped.value.result;
      try {
        if (!(dek instanceof Uint8Array) || dek.length !== KEY_BYTES) throw refused();
        try {
          return await open(subtle, await importAesKey(subtle, dek), envelope.nonce, envelope.ciphertext, aad);
        } catch {
          throw refused();
        }
      } finally {
        if (dek instanceof Uint8Array) dek.fill(0);
      }
    },

    async validate(signal) {
      const latest = await getKey(undefined, signal);
      if (!latest.ok) throw fail('validate', latest.failure, latest.cause);
      if (versionOf(latest.value) === null) throw fail('validate', 'bad_answer');
      const problem = keyProblem(latest.value, ['wrapKey', 'unwrapKey']);
      if (problem !== null) throw fail('validate', problem);
    },
  };
}
