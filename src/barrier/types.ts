import type { Storage } from '../core/index.js';

/** A root key wrapped by a seal. Stored in plaintext beside the data: it is useless without the seal. */
export interface WrappedKey {
  /** The `KeyWrapper.type` that produced it. */
  type: string;
  /** Base64 of the wrapped bytes (for the dev seal: nonce ‖ AES-GCM ciphertext ‖ tag). */
  ciphertext: string;
  /** Identifies the wrapping key (KMS key ARN/version, key file fingerprint, …), never secret. */
  keyId?: string;
}

/**
 * A seal: wraps and unwraps the root key. Cloud KMS seals (issue 6), the dev key file and
 * Shamir all implement this; the barrier never knows which it holds.
 */
export interface KeyWrapper {
  readonly type: string;
  /** Wraps `key`, binding `aad` (the wrapped key only unwraps with the same `aad`). */
  wrap(key: Uint8Array, aad: Uint8Array, signal?: AbortSignal): Promise<WrappedKey>;
  /**
   * Unwraps; throws `ERR_UNSEAL_FAILED` (opaque) for a wrong key, tampered bytes or a
   * different `aad`, and `ERR_SEAL_UNAVAILABLE` when the key service cannot be reached (so
   * the gateway retries instead of treating it as tampering).
   */
  unwrap(wrapped: WrappedKey, aad: Uint8Array, signal?: AbortSignal): Promise<Uint8Array>;
  /** A cheap check that the key service and key are usable (KMS seals). */
  validate?(signal: AbortSignal): Promise<void>;
}

/** What the barrier reports about its keyring, never the keys. */
export interface KeyringStatus {
  /** The term new writes are encrypted under. */
  term: number;
  /** When that term was installed, ms since the epoch. */
  installedAt: number;
  /** How many terms the keyring holds (all still decrypt). */
  terms: number;
}

/**
 * The encryption barrier (ARCHITECTURE.md, decision 6). Everything above it sees plaintext
 * through `view()`; everything below it sees only ciphertext.
 */
export interface Barrier {
  /** True until `initialize` or `unseal` succeeds, and again after `seal`. */
  readonly sealed: boolean;
  /** Whether storage already holds a wrapped root key and keyring. */
  isInitialized(): Promise<boolean>;
  /**
   * Creates a root key and the first keyring term, wraps the root key with `seal`, stores
   * both, and leaves the barrier unsealed. Throws `ERR_CONFLICT` when already initialised.
   */
  initialize(seal: KeyWrapper): Promise<void>;
  /**
   * Unwraps the root key with `seal` and loads the keyring. Throws `ERR_NOT_INITIALIZED`
   * before `initialize`, and `ERR_UNSEAL_FAILED` (opaque) for a wrong seal or tampered state.
   */
  unseal(seal: KeyWrapper): Promise<void>;
  /** Forgets every key held in memory. Idempotent. */
  seal(): void;
  /** Adds a keyring term for new writes; older terms still decrypt. Throws `ERR_SEALED` when sealed. */
  rotate(): Promise<KeyringStatus>;
  /** Keyring status, or null while sealed. */
  status(): KeyringStatus | null;
  /**
   * Encrypting storage under `prefix` (non-empty, ends in `/`, outside the barrier's own
   * `core/` keys). Keys passed to the view are relative to `prefix`. While sealed every
   * call throws `ERR_SEALED`; a value that fails to authenticate throws `ERR_DECRYPTION_FAILED`.
   */
  view(prefix: string): Storage;
}
