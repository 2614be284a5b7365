/**
 * The encryption barrier (ARCHITECTURE.md, decision 6; format in decisions 0003 and 0012).
 * Storage below it only ever holds ciphertext; everything above it reads and writes
 * plaintext through `view(prefix)`.
 *
 * Physical layout:
 * - `core/seal`: the plaintext seal record (`seal-record.ts`): cluster id, root-key
 *   generation, k of n, share settings, and each seal's wrapped copy of the root key (or of
 *   one Shamir share of it when k > 1). It is the commit point of every seal change.
 * - `core/keyring/<generation>`: nonce ‖ AES-256-GCM(root key, JSON of every term), AAD
 *   `keygate/keyring/v2/<cluster>/<generation>`. A root-key rotation writes the next
 *   generation's keyring, then commits the record, then deletes the old keyring, so a crash
 *   at any point leaves a record whose keyring exists.
 * - `core/usage/<term>/<instance>`: plaintext encryption counts per process (not secret).
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
  ValidationError,
  concatBytes,
  constantTimeEqual,
  fromBase64,
  fromUtf8,
  isGatewayError,
  isJsonObject,
  readU32be,
  toBase64,
  u32be,
  utf8,
} from '../core/index.js';
import type { ListOptions, Runtime, Storage } from '../core/index.js';
import { KEY_BYTES, NONCE_BYTES, TAG_BYTES, createWebAesGcm } from './aes-gcm.js';
import type { AesGcm, AesGcmKey } from './aes-gcm.js';
import { MAX_SEAL_ENTRIES, SEAL_NAME, entryAad, keyringAad, parseRecord, pickWrappedKey, recordStatus, serializeRecord } from './seal-record.js';
import type { SealEntry, SealRecord } from './seal-record.js';
import { combineShares, splitSecret } from './shamir.js';
import type {
  Barrier,
  InitializeOptions,
  KeyWrapper,
  KeyringStatus,
  NamedSeal,
  SealsArg,
  UnsealOutcome,
  UnsealReport,
  UpdateSealsOptions,
} from './types.js';

export interface BarrierDeps {
  /** Physical storage; the barrier owns its `core/` keys and encrypts everything it writes. */
  storage: Storage;
  runtime: Pick<Runtime, 'subtle' | 'randomBytes' | 'randomUUID' | 'now'>;
  /**
   * Encryptions per keyring term before the barrier rotates to a new term by itself (AES-GCM
   * with random nonces stays within NIST's bound below 2^32 per key). Default 3,865,470,566
   * (90% of 2^32, Vault's default).
   */
  maxEncryptions?: number;
  /** How often (in encryptions) this process writes its count; default `USAGE_FLUSH_EVERY`. */
  usageFlushEvery?: number;
  /** Receives failures of background work (an automatic rotation, a usage flush). */
  onBackgroundError?: (what: string, err: unknown) => void;
  /**
   * The AES-256-GCM implementation (default: WebCrypto over `runtime.subtle`). The Node
   * entry passes `createNodeAesGcm()` (`aes-gcm.node.ts`): same format, several times faster.
   */
  aesGcm?: AesGcm;
}

/** Physical key of the seal record. */
export const SEAL_STORAGE_KEY = 'core/seal';
/** Physical key of the encrypted keyring of a root-key generation. */
export const keyringStorageKey = (generation: number): string => `core/keyring/${generation}`;
/** Physical key prefix of the per-process encryption counts of a term. */
export const usagePrefix = (term: number): string => `core/usage/${term}/`;
/** The prefix reserved for the barrier's own records; views may not reach it. */
export const RESERVED_PREFIX = 'core/';

/** Vault's default `max_operations`: 90% of 2^32. */
export const DEFAULT_MAX_ENCRYPTIONS = 3_865_470_566;
/** The hard ceiling for `maxEncryptions`. */
export const MAX_ENCRYPTIONS_LIMIT = 2 ** 32 - 1;
/** A process writes its count after this many encryptions (a crash loses at most this many). */
export const USAGE_FLUSH_EVERY = 65_536;
/** How long one seal may take to unwrap before it counts as unavailable. */
export const DEFAULT_UNWRAP_TIMEOUT_MS = 15_000;

const VALUE_VERSION = 0x01;
const HEADER_BYTES = 5;
const MIN_VALUE_BYTES = HEADER_BYTES + NONCE_BYTES + TAG_BYTES;
const MAX_TERM = 0xffff_ffff;
const MAX_USAGE_ENTRIES = 1000;
const UNSEAL_FAILED = 'unseal failed: the seal does not open this store, or its state was altered';

interface Term {
  readonly term: number;
  readonly key: AesGcmKey;
  /** Kept only to re-encrypt the keyring on rotation; zeroed on seal. */
  readonly raw: Uint8Array;
  readonly installedAt: number;
}

interface Unsealed {
  readonly clusterId: string;
  readonly generation: number;
  readonly rootKey: AesGcmKey;
  /** Kept to rewrap under new seals; zeroed on seal. */
  readonly rootRaw: Uint8Array;
  readonly terms: ReadonlyMap<number, Term>;
  readonly active: Term;
  readonly maxTerm: number;
  /** The seals that unsealed (or initialised): they reload the root key after another process rotates it. */
  readonly seals: readonly NamedSeal[];
}

/**
 * Creates a barrier over `storage`, sealed until `initialize` or `unseal` succeeds.
 * Lifecycle operations (initialise, unseal, rotations, seal changes) run one at a time.
 * Error codes: `ERR_SEALED` (any view call or lifecycle change while sealed), `ERR_CONFLICT`,
 * `ERR_NOT_INITIALIZED`, `ERR_UNSEAL_FAILED` (opaque), `ERR_SEAL_UNAVAILABLE`,
 * `ERR_DECRYPTION_FAILED` (opaque), `ERR_VALIDATION`, storage errors passed through.
 */
export function createBarrier(deps: BarrierDeps): Barrier {
  const { storage } = deps;
  const { subtle, randomBytes, now } = deps.runtime;
  const cipher = deps.aesGcm ?? createWebAesGcm(subtle);
  const maxEncryptions = deps.maxEncryptions ?? DEFAULT_MAX_ENCRYPTIONS;
  if (!Number.isInteger(maxEncryptions) || maxEncryptions < 1 || maxEncryptions > MAX_ENCRYPTIONS_LIMIT) {
    throw new GatewayError('ERR_INTERNAL', `maxEncryptions must be an integer from 1 to ${MAX_ENCRYPTIONS_LIMIT}`);
  }
  const flushEvery = Math.max(1, deps.usageFlushEvery ?? USAGE_FLUSH_EVERY);
  const instanceId = deps.runtime.randomUUID();
  const reportBackground = deps.onBackgroundError ?? (() => undefined);
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

  // Key-use accounting for the active term: this process's encryptions, and the other
  // processes' as last read from `core/usage/<term>/`.
  const usage = { term: 0, own: 0, others: 0, unflushed: 0 };
  let autoRotating = false;

  const install = (next: Unsealed | null): void => {
    const previous = current;
    current = next;
    if (next === null || next.active.term !== usage.term) {
      usage.term = next?.active.term ?? 0;
      usage.own = 0;
      usage.others = 0;
      usage.unflushed = 0;
    }
    if (previous === null) return;
    if (next === null || next.rootRaw !== previous.rootRaw) previous.rootRaw.fill(0);
    for (const term of previous.terms.values()) {
      if (next?.terms.get(term.term) !== term) term.raw.fill(0);
    }
  };

  const newTerm = async (term: number, raw: Uint8Array, installedAt: number): Promise<Term> => ({
    term,
    key: await cipher.importKey(raw),
    raw,
    installedAt,
  });

  const readRecord = async (): Promise<SealRecord | null> => {
    const blob = await storage.get(SEAL_STORAGE_KEY);
    if (blob === null) return null;
    const record = parseRecord(blob);
    if (record === null) throw unsealFailed();
    return record;
  };

  const requireRecord = async (): Promise<SealRecord> => {
    const record = await readRecord();
    if (record === null) throw new GatewayError('ERR_NOT_INITIALIZED', 'Keygate is not initialized');
    return record;
  };

  const writeRecord = (record: SealRecord): Promise<void> => storage.put(SEAL_STORAGE_KEY, serializeRecord(record));

  const writeKeyring = async (at: Pick<SealRecord, 'clusterId' | 'generation'>, rootKey: AesGcmKey, terms: ReadonlyMap<number, Term>, active: number): Promise<void> => {
    const plaintext = utf8(serializeKeyring(terms, active));
    try {
      const nonce = randomBytes(NONCE_BYTES);
      const sealed = await cipher.seal(rootKey, nonce, plaintext, keyringAad(at));
      await storage.put(keyringStorageKey(at.generation), concatBytes(nonce, sealed));
    } finally {
      plaintext.fill(0);
    }
  };

  /** Decrypts and validates a generation's keyring. Throws `DecryptionError` for anything wrong with it. */
  const readKeyring = async (at: Pick<SealRecord, 'clusterId' | 'generation'>, rootKey: AesGcmKey): Promise<{ active: number; terms: StoredTerm[] }> => {
    const blob = await storage.get(keyringStorageKey(at.generation));
    if (blob === null || blob.length < NONCE_BYTES + TAG_BYTES) throw new DecryptionError();
    const plaintext = await cipher.open(rootKey, blob.subarray(0, NONCE_BYTES), blob.subarray(NONCE_BYTES), keyringAad(at));
    try {
      return parseKeyring(plaintext);
    } finally {
      plaintext.fill(0);
    }
  };

  /** Splits (k > 1) or copies (k = 1) the root key into one piece per seal. */
  const piecesFor = async (rootRaw: Uint8Array, count: number, required: number): Promise<Uint8Array[]> =>
    required === 1 ? Array.from({ length: count }, () => new Uint8Array(rootRaw)) : splitSecret(rootRaw, count, required);

  /**
   * Wraps each piece under its seal and proves each wrap unwraps to the same bytes: a seal
   * that cannot unwrap what it wrapped would lock the store once data is written under it.
   */
  const wrapAll = async (record: Pick<SealRecord, 'clusterId' | 'generation' | 'required'>, seals: readonly NamedSeal[], pieces: Uint8Array[]): Promise<SealEntry[]> => {
    try {
      return await Promise.all(
        seals.map(async (s, i) => {
          const piece = pieces[i] as Uint8Array;
          const aad = entryAad(record, s.name);
          let wrapped;
          try {
            wrapped = await s.wrapper.wrap(piece, aad);
          } catch (err) {
            throw sealUnavailable(`the ${s.name} seal (${s.wrapper.type}) could not wrap the root key`, err);
          }
          const check = await s.wrapper.unwrap(wrapped, aad).catch((err: unknown) => {
            throw sealUnavailable(`the ${s.name} seal (${s.wrapper.type}) could not unwrap what it wrapped`, err);
          });
          const same = constantTimeEqual(check, piece);
          check.fill(0);
          if (!same) throw new GatewayError('ERR_INTERNAL', `the ${s.name} seal (${s.wrapper.type}) did not unwrap the key it wrapped`);
          return { name: s.name, wrapped: pickWrappedKey(wrapped), addedAt: now(), verifiedAt: null };
        }),
      );
    } finally {
      for (const p of pieces) p.fill(0);
    }
  };

  /**
   * Tries every configured seal against the record's entries at once and stops waiting
   * when `required` have unwrapped and every not-yet-verified seal has answered (or timed
   * out), so a down cloud costs at most the timeout, and a new seal gets its first proof.
   */
  const unwrapEntries = async (
    record: SealRecord,
    seals: readonly NamedSeal[],
    options: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<{ pieces: Map<string, Uint8Array>; report: UnsealReport }> => {
    const byName = new Map(seals.map((s) => [s.name, s.wrapper]));
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    options.signal?.addEventListener('abort', stop, { once: true });
    const timer = setTimeout(stop, options.timeoutMs ?? DEFAULT_UNWRAP_TIMEOUT_MS);
    const outcomes = new Map<string, UnsealOutcome>();
    const pieces = new Map<string, Uint8Array>();
    try {
      const pending = new Set<string>();
      const waitingOn = (): boolean => {
        if (pending.size === 0) return false;
        if (pieces.size < record.required) return true;
        return record.entries.some((e) => e.verifiedAt === null && pending.has(e.name));
      };
      await new Promise<void>((resolve) => {
        const settle = (): void => {
          if (!waitingOn()) resolve();
        };
        controller.signal.addEventListener('abort', () => resolve(), { once: true });
        for (const entry of record.entries) {
          const wrapper = byName.get(entry.name);
          if (wrapper === undefined || wrapper.type !== entry.wrapped.type) {
            outcomes.set(entry.name, 'skipped');
            continue;
          }
          pending.add(entry.name);
          const attempt = wrapper.unwrap(entry.wrapped, entryAad(record, entry.name), controller.signal);
          // A seal that ignores the signal still loses the race against the timer.
          void attempt.then(
            (bytes) => {
              pending.delete(entry.name);
              if (controller.signal.aborted) {
                bytes.fill(0);
                return;
              }
              pieces.set(entry.name, bytes);
              outcomes.set(entry.name, 'unsealed');
              settle();
            },
            (err: unknown) => {
              pending.delete(entry.name);
              if (!controller.signal.aborted) outcomes.set(entry.name, isGatewayError(err) && err.code === 'ERR_SEAL_UNAVAILABLE' ? 'unavailable' : 'failed');
              settle();
            },
          );
        }
        settle();
      });
      // Whatever is still running when we stop waiting was unreachable in time.
      for (const entry of record.entries) if (!outcomes.has(entry.name)) outcomes.set(entry.name, 'unavailable');
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', stop);
      controller.abort();
    }
    const report: UnsealReport = {
      outcomes: record.entries.map((e) => ({ name: e.name, type: e.wrapped.type, outcome: outcomes.get(e.name) ?? 'skipped' })),
    };
    return { pieces, report };
  };

  /** Unwraps the root key from the record with `seals` and loads that generation's keyring. */
  const loadUnsealed = async (
    record: SealRecord,
    seals: readonly NamedSeal[],
    options: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<{ state: Unsealed; report: UnsealReport }> => {
    if (!record.entries.some((e) => seals.some((s) => s.name === e.name && s.wrapper.type === e.wrapped.type))) {
      throw new GatewayError(
        'ERR_UNSEAL_FAILED',
        `no configured seal matches this store's seal record, which holds: ${record.entries.map((e) => `${e.name} (${e.wrapped.type})`).join(', ')}`,
      );
    }
    const { pieces, report } = await unwrapEntries(record, seals, options);
    const candidates = [...pieces.values()];
    try {
      if (pieces.size < record.required) {
        const summary = report.outcomes.map((o) => `${o.name}: ${o.outcome}`).join(', ');
        if (report.outcomes.some((o) => o.outcome === 'unavailable')) {
          throw new GatewayError('ERR_SEAL_UNAVAILABLE', `${pieces.size} of the ${record.required} seals needed could unwrap the root key (${summary})`);
        }
        throw unsealFailed(report);
      }
      const rootRaw = record.required === 1 ? new Uint8Array(candidates[0] as Uint8Array) : await combineShares(candidates.slice(0, record.required), KEY_BYTES).catch(() => null);
      if (rootRaw === null) throw unsealFailed(report);
      let ok = false;
      try {
        if (rootRaw.length !== KEY_BYTES) throw unsealFailed();
        const rootKey = await cipher.importKey(rootRaw);
        let stored: { active: number; terms: StoredTerm[] };
        try {
          stored = await readKeyring(record, rootKey);
        } catch (err) {
          if (err instanceof DecryptionError) throw unsealFailed(report);
          throw err;
        }
        const terms = new Map<number, Term>();
        for (const t of stored.terms) terms.set(t.term, await newTerm(t.term, t.raw, t.installedAt));
        const active = terms.get(stored.active);
        if (active === undefined) throw unsealFailed(report);
        const used = seals.filter((s) => pieces.has(s.name));
        ok = true;
        return {
          state: { clusterId: record.clusterId, generation: record.generation, rootKey, rootRaw, terms, active, maxTerm: Math.max(...terms.keys()), seals: used },
          report,
        };
      } finally {
        if (!ok) rootRaw.fill(0);
      }
    } finally {
      for (const c of candidates) c.fill(0);
    }
  };

  /**
   * Brings this process up to date with what others persisted: a root key another process
   * rotated (reloaded through the seals that unsealed here) and terms another process added
   * (so values it wrote decrypt here and this process never reuses its term numbers).
   */
  const refreshState = async (state: Unsealed): Promise<Unsealed> => {
    const record = await requireRecord();
    if (record.clusterId !== state.clusterId) throw unsealFailed();
    if (record.generation !== state.generation) {
      const { state: reloaded } = await loadUnsealed(record, state.seals, {});
      if (current !== state) {
        reloaded.rootRaw.fill(0);
        throw new SealedError();
      }
      // Every term this process made was persisted before use, so the reloaded keyring has it.
      const next: Unsealed = { ...reloaded, seals: state.seals };
      install(next);
      return next;
    }
    const stored = await readKeyring(record, state.rootKey);
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
    const next: Unsealed = { ...state, terms, active, maxTerm: Math.max(...terms.keys()) };
    install(next);
    return next;
  };

  let refreshing: Promise<unknown> | null = null;
  const refreshTerms = async (): Promise<void> => {
    refreshing ??= serial(async () => refreshState(requireUnsealed())).finally(() => {
      refreshing = null;
    });
    await refreshing;
  };

  /** Sums the other processes' persisted counts for `term`. */
  const othersUsage = async (term: number): Promise<number> => {
    let total = 0;
    const names = await storage.list(usagePrefix(term), { limit: MAX_USAGE_ENTRIES });
    for (const name of names) {
      if (name === instanceId || name.endsWith('/')) continue;
      const blob = await storage.get(usagePrefix(term) + name);
      const count = blob === null ? 0 : parseUsage(blob);
      total += count;
    }
    return total;
  };

  const flushUsage = async (): Promise<void> => {
    const state = current;
    if (state === null) return;
    const term = usage.term;
    const own = usage.own;
    usage.unflushed = 0;
    if (own > 0) await storage.put(usagePrefix(term) + instanceId, utf8(JSON.stringify({ count: own })));
    const others = await othersUsage(term);
    if (usage.term === term) usage.others = others;
    // Pick up a term another process rotated to, so every process moves on together.
    await refreshTerms();
  };

  const maybeRotateForUsage = (): void => {
    if (autoRotating || usage.own + usage.others < maxEncryptions) return;
    autoRotating = true;
    barrier
      .rotate()
      .catch((err: unknown) => {
        if (!(err instanceof SealedError)) reportBackground('automatic keyring rotation', err);
      })
      .finally(() => {
        autoRotating = false;
      });
  };

  const countEncryption = (): void => {
    usage.own++;
    usage.unflushed++;
    if (usage.unflushed >= flushEvery) {
      usage.unflushed = 0;
      flushUsage()
        .catch((err: unknown) => {
          if (!(err instanceof SealedError)) reportBackground('key-use count flush', err);
        })
        .finally(maybeRotateForUsage);
    }
    maybeRotateForUsage();
  };

  const encryptValue = async (fullKey: string, plaintext: Uint8Array): Promise<Uint8Array> => {
    const { active } = requireUnsealed();
    const header = concatBytes(Uint8Array.of(VALUE_VERSION), u32be(active.term));
    // Always a fresh random nonce from the runtime: callers of the barrier cannot pass one.
    const nonce = randomBytes(NONCE_BYTES);
    if (active.term === usage.term) countEncryption();
    const sealed = await cipher.seal(active.key, nonce, plaintext, concatBytes(header, utf8(fullKey)));
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
    return cipher.open(term.key, blob.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES), blob.subarray(HEADER_BYTES + NONCE_BYTES), aad);
  };

  /** Re-checks after an await that nothing sealed the barrier or replaced its state. */
  const still = (state: Unsealed, zeroOnFail: readonly Uint8Array[] = []): void => {
    if (current !== state) {
      for (const b of zeroOnFail) b.fill(0);
      throw new SealedError();
    }
  };

  const loadUsage = async (state: Unsealed): Promise<void> => {
    try {
      const others = await othersUsage(state.active.term);
      if (current === state && usage.term === state.active.term) usage.others = others;
    } catch (err) {
      reportBackground('key-use count load', err);
    }
  };

  const barrier: Barrier = {
    get sealed() {
      return current === null;
    },

    async isInitialized() {
      return (await storage.get(SEAL_STORAGE_KEY)) !== null;
    },

    async record() {
      const record = await readRecord();
      return record === null ? null : recordStatus(record);
    },

    initialize(sealsArg, options: InitializeOptions = {}) {
      return serial(async () => {
        const seals = namedSeals(sealsArg);
        const required = options.required ?? 1;
        checkSealSet(seals, required);
        if ((await storage.get(SEAL_STORAGE_KEY)) !== null) {
          throw new GatewayError('ERR_CONFLICT', 'Keygate is already initialized');
        }
        const rootRaw = randomBytes(KEY_BYTES);
        const termRaw = randomBytes(KEY_BYTES);
        let ok = false;
        try {
          const base = { clusterId: deps.runtime.randomUUID(), generation: 1, required };
          const rootKey = await cipher.importKey(rootRaw);
          const first = await newTerm(1, termRaw, now());
          const terms = new Map([[1, first]]);
          const entries = await wrapAll(base, seals, await piecesFor(rootRaw, seals.length, required));
          const record: SealRecord = { ...base, createdAt: now(), shares: options.shares ?? null, entries };
          // The keyring first, the seal record last: `core/seal` is the commit point, so an
          // interrupted initialisation leaves an uninitialised store that can start over.
          await writeKeyring(record, rootKey, terms, 1);
          if ((await storage.get(SEAL_STORAGE_KEY)) !== null) throw new GatewayError('ERR_CONFLICT', 'Keygate is already initialized');
          await writeRecord(record);
          install({ clusterId: record.clusterId, generation: 1, rootKey, rootRaw, terms, active: first, maxTerm: 1, seals });
          ok = true;
        } finally {
          if (!ok) {
            rootRaw.fill(0);
            termRaw.fill(0);
          }
        }
      });
    },

    unseal(sealsArg, options = {}) {
      // Also allowed while unsealed: it re-proves the seals and reloads the keyring.
      return serial(async () => {
        const record = await requireRecord();
        const { state, report } = await loadUnsealed(record, namedSeals(sealsArg), options);
        install(state);
        // First proof of a seal added by a migration: record it, so the old seal can go.
        const proven = new Set(report.outcomes.filter((o) => o.outcome === 'unsealed').map((o) => o.name));
        if (record.entries.some((e) => e.verifiedAt === null && proven.has(e.name))) {
          const at = now();
          const fresh = await readRecord();
          if (fresh !== null && fresh.generation === record.generation) {
            await writeRecord({ ...fresh, entries: fresh.entries.map((e) => (e.verifiedAt === null && proven.has(e.name) ? { ...e, verifiedAt: at } : e)) });
          }
        }
        await loadUsage(state);
        return report;
      });
    },

    seal() {
      const state = current;
      if (state !== null && usage.own > 0 && usage.unflushed > 0) {
        // Best effort: the count survives a clean seal; a crash loses at most USAGE_FLUSH_EVERY.
        storage.put(usagePrefix(usage.term) + instanceId, utf8(JSON.stringify({ count: usage.own }))).catch((err: unknown) => reportBackground('key-use count flush', err));
      }
      install(null);
    },

    rotate() {
      return serial(async () => {
        // Terms another process added must count, or max+1 could name an existing term.
        const state = await refreshState(requireUnsealed());
        if (state.maxTerm >= MAX_TERM) throw new GatewayError('ERR_INTERNAL', 'the keyring has no term numbers left');
        const next = await newTerm(state.maxTerm + 1, randomBytes(KEY_BYTES), now());
        // Re-check after every await: a seal() in between zeroed the raw keys, and
        // persisting them would destroy the keyring.
        still(state, [next.raw]);
        const terms = new Map(state.terms).set(next.term, next);
        // Persist before use: no value is ever written under a term the stored keyring lacks.
        await writeKeyring(state, state.rootKey, terms, next.term);
        still(state, [next.raw]);
        const previousTerm = state.active.term;
        install({ ...state, terms, active: next, maxTerm: next.term });
        // Counts of retired terms are history; keep storage bounded.
        for (let t = Math.max(1, previousTerm - 8); t <= previousTerm; t++) {
          for (const name of await storage.list(usagePrefix(t), { limit: MAX_USAGE_ENTRIES }).catch(() => [])) {
            await storage.delete(usagePrefix(t) + name).catch(() => undefined);
          }
        }
        return statusOf(requireUnsealed());
      });
    },

    rotateRoot(seals) {
      return serial(async () => {
        const state = await refreshState(requireUnsealed());
        const record = await requireRecord();
        const wrappers = resolveWrappers(record.entries.map((e) => e.name), seals ?? [], state.seals);
        const newRaw = randomBytes(KEY_BYTES);
        let ok = false;
        try {
          const base = { clusterId: record.clusterId, generation: record.generation + 1, required: record.required };
          const rootKey = await cipher.importKey(newRaw);
          const entries = await wrapAll(base, wrappers, await piecesFor(newRaw, wrappers.length, record.required));
          still(state);
          // Next generation's keyring first; the record commits; only then the old keyring goes.
          await writeKeyring(base, rootKey, state.terms, state.active.term);
          still(state);
          const next: SealRecord = { ...record, generation: base.generation, entries: entries.map((e) => ({ ...e, verifiedAt: record.entries.find((o) => o.name === e.name)?.verifiedAt ?? null })) };
          await writeRecord(next);
          install({ ...state, generation: next.generation, rootKey, rootRaw: newRaw, seals: mergeSeals(state.seals, wrappers) });
          ok = true;
          await storage.delete(keyringStorageKey(record.generation)).catch((err: unknown) => reportBackground('old keyring removal', err));
          return recordStatus(next);
        } finally {
          if (!ok) newRaw.fill(0);
        }
      });
    },

    updateSeals(options: UpdateSealsOptions) {
      return serial(async () => {
        const state = await refreshState(requireUnsealed());
        const record = await requireRecord();
        const wrap = options.wrap ?? [];
        const drop = new Set(options.drop ?? []);
        const required = options.required ?? record.required;
        const wrapNames = new Set(wrap.map((s) => s.name));
        const kept = record.entries.filter((e) => !drop.has(e.name) && !wrapNames.has(e.name));
        const names = [...kept.map((e) => e.name), ...wrap.map((s) => s.name)];
        checkSealSet(
          names.map((name) => ({ name })),
          required,
        );
        let entries: SealEntry[];
        if (required === 1 && record.required === 1) {
          // Each entry wraps the whole root key: add or rewrap only the named ones.
          const added = await wrapAll(record, wrap, await piecesFor(state.rootRaw, wrap.length, 1));
          entries = [...kept, ...added];
        } else {
          // Entries hold shares of one split: changing the set means a new split for all.
          const wrappers = resolveWrappers(names, wrap, [...state.seals, ...(options.available ?? [])]);
          const base = { ...record, required };
          const fresh = await wrapAll(base, wrappers, await piecesFor(state.rootRaw, wrappers.length, required));
          entries = fresh.map((e) => ({ ...e, verifiedAt: wrapNames.has(e.name) ? null : (record.entries.find((o) => o.name === e.name)?.verifiedAt ?? null) }));
        }
        still(state);
        const next: SealRecord = { ...record, required, shares: options.shares === undefined ? record.shares : options.shares, entries };
        await writeRecord(next);
        install({ ...state, seals: mergeSeals(state.seals.filter((s) => !drop.has(s.name)), wrap) });
        return recordStatus(next);
      });
    },

    status() {
      return current === null ? null : statusOf(current);
    },

    flushUsage,

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

  function statusOf(state: Unsealed): KeyringStatus {
    const counted = state.active.term === usage.term ? usage.own + usage.others : 0;
    return { term: state.active.term, installedAt: state.active.installedAt, terms: state.terms.size, encryptions: counted, maxEncryptions };
  }

  return barrier;
}

/** A bare wrapper is one seal named by its type. */
function namedSeals(arg: SealsArg): readonly NamedSeal[] {
  return isWrapper(arg) ? [{ name: arg.type, wrapper: arg }] : arg;
}

function isWrapper(arg: SealsArg): arg is KeyWrapper {
  return !Array.isArray(arg);
}

/** Checks a seal set: 1..16 seals with unique, well-formed names and 1 ≤ k ≤ n (k > 1 needs n ≥ 2). */
function checkSealSet(seals: readonly { name: string }[], required: number): void {
  if (seals.length === 0) throw new ValidationError('at least one seal is needed');
  if (seals.length > MAX_SEAL_ENTRIES) throw new ValidationError(`at most ${MAX_SEAL_ENTRIES} seals can wrap the root key`);
  const names = new Set<string>();
  for (const s of seals) {
    if (!SEAL_NAME.test(s.name)) throw new ValidationError(`seal name "${s.name.slice(0, 64)}" must be 1-64 letters, digits, ".", "_" or "-"`);
    if (names.has(s.name)) throw new ValidationError(`seal name "${s.name}" is used twice`);
    names.add(s.name);
  }
  if (!Number.isInteger(required) || required < 1 || required > seals.length) {
    throw new ValidationError(`the number of seals required to unseal must be from 1 to ${seals.length}`);
  }
}

/** The wrapper for each name, from `given` first, then `retained`; `ERR_CONFLICT` naming any missing. */
function resolveWrappers(names: readonly string[], given: readonly NamedSeal[], retained: readonly NamedSeal[]): NamedSeal[] {
  const missing: string[] = [];
  const out: NamedSeal[] = [];
  for (const name of names) {
    const found = given.find((s) => s.name === name) ?? retained.find((s) => s.name === name);
    if (found === undefined) missing.push(name);
    else out.push(found);
  }
  if (missing.length > 0) {
    throw new GatewayError('ERR_CONFLICT', `the root key is wrapped under seals this process cannot use (${missing.join(', ')}): configure them or drop their entries first`);
  }
  return out;
}

function mergeSeals(base: readonly NamedSeal[], extra: readonly NamedSeal[]): NamedSeal[] {
  const names = new Set(extra.map((s) => s.name));
  return [...base.filter((s) => !names.has(s.name)), ...extra];
}

/** The one opaque unseal failure. `report` (which seal failed how) is a cause for operators' logs, never sent to clients. */
function unsealFailed(report?: UnsealReport): GatewayError {
  if (report === undefined) return new GatewayError('ERR_UNSEAL_FAILED', UNSEAL_FAILED);
  return new GatewayError('ERR_UNSEAL_FAILED', UNSEAL_FAILED, { cause: new Error(report.outcomes.map((o) => `${o.name} (${o.type}): ${o.outcome}`).join(', ')) });
}

/** A seal that could not wrap (at initialisation or a seal change): nothing was committed. */
function sealUnavailable(message: string, cause: unknown): GatewayError {
  return new GatewayError('ERR_SEAL_UNAVAILABLE', message, { cause });
}

function parseUsage(blob: Uint8Array): number {
  try {
    const doc: unknown = JSON.parse(fromUtf8(blob));
    if (isJsonObject(doc) && typeof doc.count === 'number' && Number.isSafeInteger(doc.count) && doc.count >= 0) return doc.count;
  } catch {
    // fall through
  }
  return 0;
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
