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
  /** Releases clients and connections (KMS seals); the wrapper is unusable afterwards. */
  close?(): Promise<void>;
}

/** A configured seal by its stanza name (unique within a store's seal record). */
export interface NamedSeal {
  readonly name: string;
  readonly wrapper: KeyWrapper;
}

/** A seal argument: one wrapper (named by its type) or several named seals. */
export type SealsArg = KeyWrapper | readonly NamedSeal[];

/**
 * The shares of a 256-bit share key: Shamir unseal shares, or a KMS-sealed store's recovery
 * shares. `check` lets submitted shares be verified while sealed (base64 of a SHA-256 over
 * a fixed label and the key; the key is random, so the hash does not help find it).
 */
export interface ShareSettings {
  shares: number;
  threshold: number;
  check: string;
}

/** One wrapped copy of the root key (or, with `required` > 1, of one Shamir share of it). */
export interface SealEntryStatus {
  name: string;
  type: string;
  keyId?: string;
  addedAt: number;
  /** When this seal last took part in an unseal; null until it has (a new seal after migration). */
  verifiedAt: number | null;
}

/** The plaintext seal record, as the barrier reports it (never a key). */
export interface SealRecordStatus {
  clusterId: string;
  createdAt: number;
  /** How many entries must unwrap to unseal: 1 (any one), or k of n (each entry wraps a share). */
  required: number;
  /** Bumped by every root-key rotation. */
  generation: number;
  shares: ShareSettings | null;
  entries: SealEntryStatus[];
}

/** How one seal fared in an unseal. */
export type UnsealOutcome = 'unsealed' | 'unavailable' | 'failed' | 'skipped';

export interface UnsealReport {
  outcomes: { name: string; type: string; outcome: UnsealOutcome }[];
}

/** What the barrier reports about its keyring, never the keys. */
export interface KeyringStatus {
  /** The term new writes are encrypted under. */
  term: number;
  /** When that term was installed, ms since the epoch. */
  installedAt: number;
  /** How many terms the keyring holds (all still decrypt). */
  terms: number;
  /** Encryptions under the active term, across every process (as last persisted) plus this one's. */
  encryptions: number;
  /** The count at which the barrier rotates to a new term by itself. */
  maxEncryptions: number;
}

export interface InitializeOptions {
  /** k of n: how many seals must unwrap to unseal (default 1: any one). */
  required?: number;
  shares?: ShareSettings | null;
}

export interface UpdateSealsOptions {
  /** Seals to (re)wrap the root key under: new entries, or a fresh wrap of an existing one. */
  wrap?: readonly NamedSeal[];
  /** Entries to remove. */
  drop?: readonly string[];
  /** A new k. */
  required?: number;
  /** New share settings (`null` removes them). */
  shares?: ShareSettings | null;
  /**
   * Wrappers for entries that are kept, used when the change re-splits the root key (k > 1)
   * and this process did not unseal with them; the seals that unsealed are preferred.
   */
  available?: readonly NamedSeal[];
}

/**
 * The encryption barrier (ARCHITECTURE.md, decision 6). Everything above it sees plaintext
 * through `view()`; everything below it sees only ciphertext.
 */
export interface Barrier {
  /** True until `initialize` or `unseal` succeeds, and again after `seal`. */
  readonly sealed: boolean;
  /** Whether storage already holds a seal record. */
  isInitialized(): Promise<boolean>;
  /** The seal record (works while sealed); null before initialisation. Throws `ERR_UNSEAL_FAILED` when it is malformed. */
  record(): Promise<SealRecordStatus | null>;
  /**
   * Creates a cluster id, a root key and the first keyring term, wraps the root key under
   * every seal (or, with `required` > 1, a Shamir share of it under each), stores them, and
   * leaves the barrier unsealed. Throws `ERR_CONFLICT` when already initialised.
   */
  initialize(seals: SealsArg, options?: InitializeOptions): Promise<void>;
  /**
   * Unwraps the root key with the given seals (all tried at once; `required` of them must
   * succeed) and loads the keyring. Throws `ERR_NOT_INITIALIZED` before `initialize`,
   * `ERR_SEAL_UNAVAILABLE` when too few seals answered and at least one was unreachable
   * (worth retrying), and `ERR_UNSEAL_FAILED` (opaque) for wrong seals or tampered state.
   */
  unseal(seals: SealsArg, options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<UnsealReport>;
  /** Forgets every key held in memory. Idempotent. */
  seal(): void;
  /** Adds a keyring term for new writes; older terms still decrypt. Throws `ERR_SEALED` when sealed. */
  rotate(): Promise<KeyringStatus>;
  /**
   * Replaces the root key: re-encrypts the keyring under a new one and wraps it under every
   * seal entry, with `seals` (or the seals that unsealed) supplying each entry's wrapper.
   * Throws `ERR_SEAL_UNAVAILABLE`, leaving everything as it was, when one cannot wrap.
   */
  rotateRoot(seals?: readonly NamedSeal[]): Promise<SealRecordStatus>;
  /** Adds, rewraps and drops seal entries, or changes k or the share settings, in one record write. */
  updateSeals(options: UpdateSealsOptions): Promise<SealRecordStatus>;
  /** Keyring status, or null while sealed. */
  status(): KeyringStatus | null;
  /** Writes this process's encryption count (also done every 65,536 encryptions and on seal). */
  flushUsage(): Promise<void>;
  /**
   * Encrypting storage under `prefix` (non-empty, ends in `/`, outside the barrier's own
   * `core/` keys). Keys passed to the view are relative to `prefix`. While sealed every
   * call throws `ERR_SEALED`; a value that fails to authenticate throws `ERR_DECRYPTION_FAILED`.
   */
  view(prefix: string): Storage;
}
