/**
 * The encryption barrier (ARCHITECTURE.md, decision 6). Storage below it only ever holds
 * ciphertext; everything above it reads and writes plaintext through `view(prefix)`.
 *
 * Physical layout:
 * - `core/seal`: JSON `{ version: 1, wrapped, created_at }`, the root key wrapped by the
 *   seal (AAD `keygate/root-key/v1`). Plaintext on purpose: it is useless without the seal.
 * - `core/keyring`: nonce ‖ AES-256-GCM(root key, JSON of every term, AAD `core/keyring`).
 * - every other key: a value written through a view, `0x01 ‖ term (u32 BE) ‖ nonce (12) ‖
 *   ciphertext ‖ tag`, with AAD = those 5 header bytes ‖ UTF-8 of the full physical key.
 *
 * Key names are not secret: the barrier encrypts values only, and `list` returns names as
 * stored (Vault does the same). Keep secrets out of paths.
 */

import {
  DecryptionError,
  GatewayError,
  SealedError,
  concatBytes,
  constantTimeEqual,
  fromBase64,
  fromUtf8,
  isJsonObject,
  readU32be,
  toBase64,
  u32be,
  utf8,
} from '../core/index.js';
import type { ListOptions, Runtime, Storage } from '../core/index.js';
import { KEY_BYTES, NONCE_BYTES, TAG_BYTES, importAesKey, open, seal } from './aes-gcm.js';
import type { Barrier, KeyWrapper, KeyringStatus, WrappedKey } from './types.js';

export interface BarrierDeps {
  /** Physical storage; the barrier owns its `core/` keys and encrypts everything it writes. */
  storage: Storage;
  runtime: Pick<Runtime, 'subtle' | 'randomBytes' | 'now'>;
}

/** Physical key of the wrapped root key. */
export const SEAL_STORAGE_KEY = 'core/seal';
/** Physical key of the encrypted keyring. */
export const KEYRING_STORAGE_KEY = 'core/keyring';
/** The prefix reserved for the barrier's own records; views may not reach it. */
export const RESERVED_PREFIX = 'core/';

const ROOT_KEY_AAD = utf8('keygate/root-key/v1');
const KEYRING_AAD = utf8(KEYRING_STORAGE_KEY);
const VALUE_VERSION = 0x01;
const HEADER_BYTES = 5;
const MIN_VALUE_BYTES = HEADER_BYTES + NONCE_BYTES + TAG_BYTES;
const MAX_TERM = 0xffff_ffff;
const UNSEAL_FAILED = 'unseal failed: the seal does not open this store, or its state was altered';

interface Term {
  readonly term: number;
  readonly key: CryptoKey;
  /** Kept only to re-encrypt the keyring on rotation; zeroed on seal. */
  readonly raw: Uint8Array;
  readonly installedAt: number;
}

interface Unsealed {
  readonly rootKey: CryptoKey;
  readonly terms: ReadonlyMap<number, Term>;
  readonly active: Term;
  readonly maxTerm: number;
}

/**
 * Creates a barrier over `storage`, sealed until `initialize` or `unseal` succeeds.
 * `initialize`, `unseal` and `rotate` run one at a time. Error codes: `ERR_SEALED` (any view
 * call or `rotate` while sealed), `ERR_CONFLICT`, `ERR_NOT_INITIALIZED`, `ERR_UNSEAL_FAILED`
 * (opaque), `ERR_DECRYPTION_FAILED` (opaque), storage errors passed through.
 */
export function createBarrier(deps: BarrierDeps): Barrier {
  const { storage } = deps;
  const { subtle, randomBytes, now } = deps.runtime;
  let current: Unsealed | null = null;

  // One lifecycle operation at a time: two concurrent rotations must not both pick max+1,
  // and an unseal must not interleave with a rotation's keyring write.
  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };

  const requireUnsealed = (): Unsealed => {
    if (current === null) throw new SealedError();
    return current;
  };

  const install = (next: Unsealed | null): void => {
    const previous = current;
    current = next;
    if (previous === null) return;
    for (const term of previous.terms.values()) {
      if (next?.terms.get(term.term) !== term) term.raw.fill(0);
    }
  };

  const newTerm = async (term: number, raw: Uint8Array, installedAt: number): Promise<Term> => ({
    term,
    key: await importAesKey(subtle, raw),
    raw,
    installedAt,
  });

  const writeKeyring = async (rootKey: CryptoKey, terms: ReadonlyMap<number, Term>, active: number): Promise<void> => {
    const plaintext = utf8(serializeKeyring(terms, active));
    try {
      const nonce = randomBytes(NONCE_BYTES);
      await storage.put(KEYRING_STORAGE_KEY, concatBytes(nonce, await seal(subtle, rootKey, nonce, plaintext, KEYRING_AAD)));
    } finally {
      plaintext.fill(0);
    }
  };

  /** Decrypts and validates the stored keyring. Throws `DecryptionError` for anything wrong with it. */
  const readKeyring = async (rootKey: CryptoKey): Promise<{ active: number; terms: StoredTerm[] }> => {
    const blob = await storage.get(KEYRING_STORAGE_KEY);
    if (blob === null || blob.length < NONCE_BYTES + TAG_BYTES) throw new DecryptionError();
    const plaintext = await open(subtle, rootKey, blob.subarray(0, NONCE_BYTES), blob.subarray(NONCE_BYTES), KEYRING_AAD);
    try {
      return parseKeyring(plaintext);
    } finally {
      plaintext.fill(0);
    }
  };

  /**
   * Adds terms that another process sharing this storage persisted (it rotated), so values
   * it wrote decrypt here and this process never reuses its term numbers.
   */
  const mergePersistedTerms = async (state: Unsealed): Promise<Unsealed> => {
    const stored = await readKeyring(state.rootKey);
    const terms = new Map(state.terms);
    for (const t of stored.terms) {
      // A term this process already holds keeps its in-memory key.
      if (terms.has(t.term)) t.raw.fill(0);
      else terms.set(t.term, await newTerm(t.term, t.raw, t.installedAt));
    }
    if (current !== state) {
      for (const t of stored.terms) t.raw.fill(0);
      throw new SealedError();
    }
    const storedActive = terms.get(stored.active);
    const active = storedActive !== undefined && storedActive.term > state.active.term ? storedActive : state.active;
    const next: Unsealed = { rootKey: state.rootKey, terms, active, maxTerm: Math.max(...terms.keys()) };
    install(next);
    return next;
  };

  let refreshing: Promise<unknown> | null = null;
  const refreshTerms = async (): Promise<void> => {
    refreshing ??= serial(async () => mergePersistedTerms(requireUnsealed())).finally(() => {
      refreshing = null;
    });
    await refreshing;
  };

  const encryptValue = async (fullKey: string, plaintext: Uint8Array): Promise<Uint8Array> => {
    const { active } = requireUnsealed();
    const header = concatBytes(Uint8Array.of(VALUE_VERSION), u32be(active.term));
    // Always a fresh random nonce from the runtime: callers of the barrier cannot pass one.
    const nonce = randomBytes(NONCE_BYTES);
    const sealed = await seal(subtle, active.key, nonce, plaintext, concatBytes(header, utf8(fullKey)));
    return concatBytes(header, nonce, sealed);
  };

  const decryptValue = async (fullKey: string, blob: Uint8Array): Promise<Uint8Array> => {
    let state = requireUnsealed();
    if (blob.length < MIN_VALUE_BYTES || blob[0] !== VALUE_VERSION) throw new DecryptionError();
    const termNumber = readU32be(blob, 1);
    let term = state.terms.get(termNumber);
    if (term === undefined && termNumber > state.maxTerm) {
      // Possibly written by another process after it rotated; look once, then give up.
      await refreshTerms();
      state = requireUnsealed();
      term = state.terms.get(termNumber);
    }
    if (term === undefined) throw new DecryptionError();
    const aad = concatBytes(blob.subarray(0, HEADER_BYTES), utf8(fullKey));
    return open(subtle, term.key, blob.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES), blob.subarray(HEADER_BYTES + NONCE_BYTES), aad);
  };

  const loadUnsealed = async (wrapper: KeyWrapper): Promise<Unsealed> => {
    const sealBlob = await storage.get(SEAL_STORAGE_KEY);
    if (sealBlob === null) throw new GatewayError('ERR_NOT_INITIALIZED', 'Keygate is not initialized');
    const wrapped = parseSealRecord(sealBlob);
    if (wrapped === null) throw unsealFailed();
    let rootRaw: Uint8Array;
    try {
      rootRaw = await wrapper.unwrap(wrapped, ROOT_KEY_AAD);
    } catch (err) {
      // The cause helps an operator tell a KMS outage from a wrong key; it never reaches clients.
      throw unsealFailed(err);
    }
    try {
      if (rootRaw.length !== KEY_BYTES) throw unsealFailed();
      const rootKey = await importAesKey(subtle, rootRaw);
      let stored: { active: number; terms: StoredTerm[] };
      try {
        stored = await readKeyring(rootKey);
      } catch (err) {
        if (err instanceof DecryptionError) throw unsealFailed();
        throw err;
      }
      const terms = new Map<number, Term>();
      for (const t of stored.terms) terms.set(t.term, await newTerm(t.term, t.raw, t.installedAt));
      const active = terms.get(stored.active);
      if (active === undefined) throw unsealFailed();
      return { rootKey, terms, active, maxTerm: Math.max(...terms.keys()) };
    } finally {
      rootRaw.fill(0);
    }
  };

  const barrier: Barrier = {
    get sealed() {
      return current === null;
    },

    async isInitialized() {
      return (await storage.get(SEAL_STORAGE_KEY)) !== null;
    },

    initialize(wrapper) {
      return serial(async () => {
        if ((await storage.get(SEAL_STORAGE_KEY)) !== null) {
          throw new GatewayError('ERR_CONFLICT', 'Keygate is already initialized');
        }
        const rootRaw = randomBytes(KEY_BYTES);
        const termRaw = randomBytes(KEY_BYTES);
        try {
          const rootKey = await importAesKey(subtle, rootRaw);
          const first = await newTerm(1, termRaw, now());
          const terms = new Map([[1, first]]);
          const wrapped = await wrapper.wrap(rootRaw, ROOT_KEY_AAD);
          // A seal that cannot unwrap what it wrapped would lock the store forever once data
          // is written under it: prove the round trip before committing anything.
          const check = await wrapper.unwrap(wrapped, ROOT_KEY_AAD);
          const roundTrips = constantTimeEqual(check, rootRaw);
          check.fill(0);
          if (!roundTrips) throw new GatewayError('ERR_INTERNAL', `the ${wrapper.type} seal did not unwrap the key it wrapped`);
          // The keyring first, the seal record last: `core/seal` is the commit point, so an
          // interrupted initialisation leaves an uninitialised store that can start over.
          await writeKeyring(rootKey, terms, 1);
          const record = { version: 1, wrapped: pickWrappedKey(wrapped), created_at: now() };
          await storage.put(SEAL_STORAGE_KEY, utf8(JSON.stringify(record)));
          install({ rootKey, terms, active: first, maxTerm: 1 });
        } catch (err) {
          termRaw.fill(0);
          throw err;
        } finally {
          rootRaw.fill(0);
        }
      });
    },

    unseal(wrapper) {
      // Also allowed while unsealed: it re-proves the seal and reloads the keyring.
      return serial(async () => install(await loadUnsealed(wrapper)));
    },

    seal() {
      install(null);
    },

    rotate() {
      return serial(async () => {
        // Terms another process added must count, or max+1 could name an existing term.
        const state = await mergePersistedTerms(requireUnsealed());
        if (state.maxTerm >= MAX_TERM) throw new GatewayError('ERR_INTERNAL', 'the keyring has no term numbers left');
        const next = await newTerm(state.maxTerm + 1, randomBytes(KEY_BYTES), now());
        // Re-check after every await: a seal() in between zeroed the raw keys, and
        // persisting them would destroy the keyring.
        if (current !== state) {
          next.raw.fill(0);
          throw new SealedError();
        }
        const terms = new Map(state.terms).set(next.term, next);
        // Persist before use: no value is ever written under a term the stored keyring lacks.
        await writeKeyring(state.rootKey, terms, next.term);
        if (current !== state) {
          next.raw.fill(0);
          throw new SealedError();
        }
        install({ rootKey: state.rootKey, terms, active: next, maxTerm: next.term });
        return statusOf(requireUnsealed());
      });
    },

    status() {
      return current === null ? null : statusOf(current);
    },

    view(prefix) {
      if (prefix === '' || !prefix.endsWith('/') || prefix.startsWith(RESERVED_PREFIX)) {
        throw new GatewayError(
          'ERR_INTERNAL',
          `barrier view prefix "${prefix}" must be non-empty, end in "/", and not start with "${RESERVED_PREFIX}"`,
        );
      }
      return {
        async get(key) {
          requireUnsealed();
          const fullKey = prefix + key;
          const blob = await storage.get(fullKey);
          return blob === null ? null : decryptValue(fullKey, blob);
        },
        async put(key, value) {
          requireUnsealed();
          const fullKey = prefix + key;
          await storage.put(fullKey, await encryptValue(fullKey, value));
        },
        async delete(key) {
          requireUnsealed();
          await storage.delete(prefix + key);
        },
        async list(sub, opts?: ListOptions) {
          requireUnsealed();
          return storage.list(prefix + sub, opts);
        },
      };
    },
  };
  return barrier;
}

function statusOf(state: Unsealed): KeyringStatus {
  return { term: state.active.term, installedAt: state.active.installedAt, terms: state.terms.size };
}

function unsealFailed(cause?: unknown): GatewayError {
  return new GatewayError('ERR_UNSEAL_FAILED', UNSEAL_FAILED, cause === undefined ? {} : { cause });
}

interface StoredTerm {
  term: number;
  raw: Uint8Array;
  installedAt: number;
}

function serializeKeyring(terms: ReadonlyMap<number, Term>, active: number): string {
  const list = [...terms.values()]
    .sort((a, b) => a.term - b.term)
    .map((t) => ({ term: t.term, key: toBase64(t.raw), installed_at: t.installedAt }));
  return JSON.stringify({ version: 1, active, terms: list });
}

/** Validates the decrypted keyring strictly; anything unexpected is a `DecryptionError`. */
function parseKeyring(plaintext: Uint8Array): { active: number; terms: StoredTerm[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(fromUtf8(plaintext));
  } catch {
    throw new DecryptionError();
  }
  if (!isJsonObject(doc) || doc.version !== 1 || !isTermNumber(doc.active) || !Array.isArray(doc.terms)) {
    throw new DecryptionError();
  }
  const terms: StoredTerm[] = [];
  const seen = new Set<number>();
  for (const entry of doc.terms) {
    if (!isJsonObject(entry) || !isTermNumber(entry.term) || seen.has(entry.term)) throw new DecryptionError();
    const raw = typeof entry.key === 'string' ? fromBase64(entry.key) : null;
    const installedAt = entry.installed_at;
    if (raw === null || raw.length !== KEY_BYTES || typeof installedAt !== 'number' || !Number.isFinite(installedAt)) {
      throw new DecryptionError();
    }
    seen.add(entry.term);
    terms.push({ term: entry.term, raw, installedAt });
  }
  if (!seen.has(doc.active)) throw new DecryptionError();
  return { active: doc.active, terms };
}

function isTermNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_TERM;
}

/** Reads `core/seal`; null when it is not a version-1 record holding a well-formed `WrappedKey`. */
function parseSealRecord(blob: Uint8Array): WrappedKey | null {
  let doc: unknown;
  try {
    doc = JSON.parse(fromUtf8(blob));
  } catch {
    return null;
  }
  if (!isJsonObject(doc) || doc.version !== 1 || !isJsonObject(doc.wrapped)) return null;
  const { type, ciphertext, keyId } = doc.wrapped;
  if (typeof type !== 'string' || typeof ciphertext !== 'string') return null;
  if (keyId !== undefined && typeof keyId !== 'string') return null;
  return keyId === undefined ? { type, ciphertext } : { type, ciphertext, keyId };
}

/** Only the documented fields: a seal's extra properties never reach storage by accident. */
function pickWrappedKey(wrapped: WrappedKey): WrappedKey {
  return wrapped.keyId === undefined
    ? { type: wrapped.type, ciphertext: wrapped.ciphertext }
    : { type: wrapped.type, ciphertext: wrapped.ciphertext, keyId: wrapped.keyId };
}
