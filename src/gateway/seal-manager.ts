/**
 * The seal lifecycle above the barrier: initialisation (`sys/init`), auto-unseal at start
 * with retry and backoff while a KMS is unreachable, unseal by Shamir shares (or, for a
 * KMS-sealed store an operator sealed, by recovery shares), the rekey ceremony, root-token
 * generation from shares, root-key rewrap and rotation, and seal migration (adding the
 * configured seals a store lacks, dropping the old ones once the new have proven
 * themselves). Runtime-neutral.
 *
 * The share key: one random 256-bit key per store, split into shares at init and at each
 * rekey. Under a `shamir` seal it wraps the root key (unseal shares); under KMS seals it is
 * the recovery key (its shares authorise generate-root, rekey, and unsealing a store an
 * operator sealed). Storage keeps it behind the barrier (`sys/seal/share-key`), and a
 * SHA-256 check of it in the plaintext seal record so shares can be checked while sealed;
 * migrating to `shamir` wraps the root key under it, so the recovery shares become the
 * unseal shares (as in Vault).
 */

import {
  GatewayError,
  ValidationError,
  constantTimeEqual,
  fromBase64,
  isGatewayError,
  toBase64,
  toHex,
  unrefTimer,
  utf8,
} from '../core/index.js';
import type { Runtime, Storage } from '../core/index.js';
import { checkShareCounts, combineShares, createStaticKeySeal, splitSecret } from '../barrier/index.js';
import type { Barrier, KeyWrapper, NamedSeal, SealRecordStatus, ShareSettings, UnsealReport } from '../barrier/index.js';
import type { ConfiguredSeal, SealSetup } from './seals.js';

/** `sys/` key of the share key (behind the barrier). */
const SHARE_KEY = 'seal/share-key';
const SHARE_KEY_BYTES = 32;
const SHAMIR_TYPE = 'shamir';
const DEFAULT_SHARES = 5;
const DEFAULT_THRESHOLD = 3;
/** Auto-unseal retry backoff. */
const RETRY_INITIAL_MS = 1_000;
const RETRY_MAX_MS = 60_000;
/** How often a store that is not initialised looks again (another replica may initialise it). */
const INIT_POLL_MAX_MS = 5_000;
/** A ceremony (unseal, rekey, generate-root) not completed within this long is dropped. */
const CEREMONY_TTL_MS = 60 * 60 * 1000;

export interface InitInput {
  secret_shares?: number | undefined;
  secret_threshold?: number | undefined;
  recovery_shares?: number | undefined;
  recovery_threshold?: number | undefined;
}

export interface InitResult {
  keys: string[];
  keys_base64: string[];
  recovery_keys: string[];
  recovery_keys_base64: string[];
  root_token: string;
}

export interface SealStatus {
  type: string;
  initialized: boolean;
  sealed: boolean;
  /** Shares needed (threshold), and shares in all; 0 when the store has none. */
  t: number;
  n: number;
  progress: number;
  /** The current unseal attempt's nonce ("" when none is under way). */
  nonce: string;
  recovery_seal: boolean;
  cluster_id?: string;
  /** Set while an automatic unseal is failing. */
  auto_unseal?: { attempts: number; last_error_code: string; last_error: string; next_attempt_in_ms: number | null };
}

export interface CeremonyStatus {
  started: boolean;
  nonce: string;
  /** Shares of the current key needed, and submitted so far. */
  required: number;
  progress: number;
  /** Rekey: the new split. */
  t?: number;
  n?: number;
  /** Generate-root: the one-time pad to decode the encoded token with. Only in the response that started the attempt. */
  otp?: string;
  otp_length?: number;
  complete: boolean;
}

export interface SealManagerDeps {
  barrier: Barrier;
  /** The gateway's `sys/` view of the barrier. */
  sys: Storage;
  runtime: Runtime;
  setup: SealSetup;
  /**
   * Loads everything behind the barrier after an unseal. When the store has never handed
   * out a root token, issues one and passes it to `deliver` (absent: none is issued).
   * Returns the token issued, if any.
   */
  afterUnseal(deliver: ((token: string) => Promise<void>) | undefined): Promise<string | null>;
  /** Unloads what `afterUnseal` loaded (the core's seal). */
  beforeSeal(): Promise<void>;
  /** Creates a root token (generate-root). */
  createRootToken(): Promise<string>;
  /** Where an auto-initialised (dev) store's root token goes. */
  onRootToken?: (token: string) => Promise<void>;
}

export interface SealManager {
  /** The seal type reported in seal-status: `shamir`, `dev-key-file`, or the first enabled KMS type. */
  readonly type: string;
  /** Auto-initialises (dev) or auto-unseals at start; never throws for an unreachable KMS (it retries). */
  start(): Promise<{ initialized: boolean }>;
  init(input: InitInput): Promise<InitResult>;
  /** Submits an unseal key or share (`reset` drops the attempt). */
  unseal(input: { key?: string | undefined; reset?: boolean | undefined; nonce?: string | undefined }): Promise<void>;
  seal(): Promise<void>;
  status(): Promise<SealStatus>;
  rekeyStart(input: { secret_shares: number; secret_threshold: number }): Promise<CeremonyStatus>;
  rekeyUpdate(input: { key: string; nonce: string }): Promise<CeremonyStatus & { keys?: string[]; keys_base64?: string[] }>;
  rekeyCancel(): void;
  rekeyStatus(): Promise<CeremonyStatus>;
  generateRootStart(): Promise<CeremonyStatus>;
  generateRootUpdate(input: { key: string; nonce: string }): Promise<CeremonyStatus & { encoded_token?: string }>;
  generateRootCancel(): void;
  generateRootStatus(): Promise<CeremonyStatus>;
  /** Rewraps the root key under each enabled seal's current key (after a KMS key rotation). */
  rewrap(): Promise<SealRecordStatus>;
  /** Replaces the root key and rewraps it under every seal. */
  rotateRoot(): Promise<SealRecordStatus>;
  /** The seal record and configured seals, for `sys/seal/config` (never a key). */
  describe(): Promise<{ record: SealRecordStatus | null; configured: readonly ConfiguredSeal[]; required: number }>;
  /** Stops the retry timer and releases the seals' clients. */
  close(): Promise<void>;
}

interface Ceremony {
  nonce: string;
  shares: Uint8Array[];
  startedAt: number;
}

export function createSealManager(deps: SealManagerDeps): SealManager {
  const { barrier, sys, runtime, setup } = deps;
  const { logger } = runtime;
  const enabled = setup.seals.filter((s) => !s.disabled);
  const hasShamir = setup.seals.some((s) => s.type === SHAMIR_TYPE);
  const devSeal = setup.seals.find((s) => s.fromKey !== undefined);
  const autoSeals = setup.seals.filter((s) => s.wrapper !== null);
  const type = hasShamir ? SHAMIR_TYPE : (enabled[0]?.type ?? 'unknown');

  let unsealAttempt: Ceremony | null = null;
  /** The ceremonies an unsealed store runs on its shares. */
  const ceremonies: { rekey: (Ceremony & { newShares: number; newThreshold: number }) | null; generateRoot: (Ceremony & { otp: Uint8Array }) | null } = { rekey: null, generateRoot: null };
  /** An operator sealed through the API: no automatic unseal until a restart or shares. */
  let manuallySealed = false;
  let closed = false;
  const retry = { attempts: 0, timer: null as ReturnType<typeof setTimeout> | null, nextAt: null as number | null, lastCode: '', lastError: '' };

  // One lifecycle change at a time (init, unseal, seal, rekey completion, rotation).
  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };

  const named = (seals: readonly ConfiguredSeal[]): NamedSeal[] =>
    seals.flatMap((s) => (s.wrapper === null ? [] : [{ name: s.name, wrapper: s.wrapper }]));

  const shamirWrapper = (key: Uint8Array): KeyWrapper => createStaticKeySeal({ key, subtle: runtime.subtle, randomBytes: runtime.randomBytes, type: SHAMIR_TYPE });

  const shareCheck = async (key: Uint8Array): Promise<string> => {
    const digest = await runtime.subtle.digest('SHA-256', new Uint8Array([...utf8('keygate/share-key/v1/'), ...key]));
    return toBase64(new Uint8Array(digest));
  };

  const logReport = (report: UnsealReport, how: string): void => {
    for (const o of report.outcomes) {
      if (o.outcome === 'failed') logger.error({ seal: o.name, type: o.type }, `seal ${o.name} could not unwrap its copy of the root key (wrong key, key disabled, or tampered record)`);
      else if (o.outcome === 'unavailable') logger.warn({ seal: o.name, type: o.type }, `seal ${o.name} was unavailable during ${how}`);
    }
  };

  /** After every unseal: load the core, then bring the seal record in line with the configuration. */
  const finishUnseal = async (report: UnsealReport, how: string): Promise<void> => {
    logReport(report, how);
    manuallySealed = false;
    clearRetry();
    unsealAttempt = null;
    await deps.afterUnseal(setup.autoInit ? deps.onRootToken : undefined);
    logger.info({ seals: report.outcomes.filter((o) => o.outcome === 'unsealed').map((o) => o.name) }, `unsealed (${how})`);
    await reconcile().catch((err: unknown) => {
      logger.warn({ code: isGatewayError(err) ? err.code : 'error', reason: err instanceof Error ? err.message : 'unknown' }, 'could not bring the seal record in line with the configured seals; will try again at the next unseal');
    });
  };

  /** Reads the share key behind the barrier, checked against the record (null when the store has none). */
  const readShareKey = async (record: SealRecordStatus): Promise<Uint8Array | null> => {
    if (record.shares === null) return null;
    const blob = await sys.get(SHARE_KEY);
    const key = blob === null ? null : fromBase64(new TextDecoder().decode(blob));
    if (key === null || key.length !== SHARE_KEY_BYTES || !constantTimeEqual(utf8(await shareCheck(key)), utf8(record.shares.check))) {
      throw new GatewayError('ERR_CONFLICT', 'the stored share key does not match the seal record: rekey the shares before migrating to shamir');
    }
    return key;
  };

  /**
   * Wrappers for the record's existing entries, for a change that re-splits the root key
   * (k > 1): every configured seal (an unseal with k = 1 proves only the first to answer),
   * and the shamir entry's wrapper from the stored share key.
   */
  const availableSeals = async (record: SealRecordStatus): Promise<NamedSeal[]> => {
    const seals = named(setup.seals);
    const shamirEntry = record.entries.find((e) => e.type === SHAMIR_TYPE);
    if (shamirEntry !== undefined && record.shares !== null) {
      const key = await readShareKey(record).catch(() => null);
      if (key !== null) {
        seals.push({ name: shamirEntry.name, wrapper: shamirWrapper(key) });
        key.fill(0);
      }
    }
    return seals;
  };

  /** Seal migration: wrap under configured seals the record lacks; change k; drop old seals once the new have proven themselves. */
  const reconcile = async (): Promise<void> => {
    let record = await barrier.record();
    if (record === null || barrier.sealed) return;
    const current = record;
    const missing = enabled.filter((s) => !current.entries.some((e) => e.name === s.name));
    const wrap: NamedSeal[] = [];
    for (const s of missing) {
      if (s.wrapper !== null) wrap.push({ name: s.name, wrapper: s.wrapper });
      else {
        const key = await readShareKey(current);
        if (key === null) throw new GatewayError('ERR_CONFLICT', 'migrating to shamir needs recovery shares: this store was initialised without them');
        wrap.push({ name: s.name, wrapper: shamirWrapper(key) });
        key.fill(0);
      }
    }
    if (wrap.length > 0 || setup.required !== record.required) {
      record = await barrier.updateSeals({ wrap, required: setup.required, available: await availableSeals(current) });
      logger.warn({ added: wrap.map((s) => s.name), required: setup.required }, 'seal record updated: new seals wrap the root key; old seals stay until each new one has unsealed once');
    }
    // Only entries whose stanza says `disabled` go: a replica still on an older configuration
    // (which does not know a newly added seal) must never undo a migration.
    const disabledNames = new Set(setup.seals.filter((s) => s.disabled).map((s) => s.name));
    const configured = new Set(setup.seals.map((s) => s.name));
    const stale = record.entries.filter((e) => disabledNames.has(e.name)).map((e) => e.name);
    const unknown = record.entries.filter((e) => !configured.has(e.name)).map((e) => e.name);
    if (unknown.length > 0) {
      logger.warn({ seals: unknown }, 'the seal record has entries this configuration does not name: they still unseal the store; to remove one, configure its stanza with disabled: true');
    }
    const proven = enabled.every((s) => record?.entries.find((e) => e.name === s.name)?.verifiedAt != null);
    if (stale.length > 0 && proven) {
      await barrier.updateSeals({ drop: stale });
      logger.warn({ dropped: stale }, 'seal migration complete: the old seals no longer unseal this store and can be removed from the configuration');
    } else if (stale.length > 0) {
      logger.info({ waiting: enabled.filter((s) => record?.entries.find((e) => e.name === s.name)?.verifiedAt == null).map((s) => s.name), old: stale }, 'seal migration in progress: the old seals stay until each new seal has unsealed once (restart to prove them)');
    }
  };

  const clearRetry = (): void => {
    if (retry.timer !== null) clearTimeout(retry.timer);
    retry.timer = null;
    retry.nextAt = null;
    retry.attempts = 0;
    retry.lastCode = '';
    retry.lastError = '';
  };

  const scheduleRetry = (capMs = RETRY_MAX_MS): void => {
    if (closed || manuallySealed) return;
    const base = Math.min(capMs, RETRY_INITIAL_MS * 2 ** Math.min(retry.attempts - 1, 16));
    // ±20% jitter: replicas that lost the same KMS do not retry in lockstep.
    const jitter = 1 + ((runtime.randomBytes(1)[0] ?? 128) / 255 - 0.5) * 0.4;
    const delay = Math.round(base * jitter);
    retry.nextAt = runtime.now() + delay;
    retry.timer = setTimeout(() => {
      retry.timer = null;
      void autoUnseal();
    }, delay);
    unrefTimer(retry.timer);
  };

  /** One automatic unseal attempt with the configured (non-Shamir) seals; schedules the next when a seal is unreachable. */
  const autoUnseal = (): Promise<void> =>
    serial(async () => {
      if (!barrier.sealed || closed) return;
      retry.attempts++;
      try {
        const report = await barrier.unseal(named(autoSeals), { timeoutMs: setup.unwrapTimeoutMs });
        await finishUnseal(report, 'automatic');
      } catch (err) {
        retry.lastCode = isGatewayError(err) ? err.code : 'ERR_INTERNAL';
        retry.lastError = err instanceof Error ? err.message : 'unknown error';
        if (isGatewayError(err, 'ERR_NOT_INITIALIZED')) {
          // Another replica may initialise the store: look again, at most every few seconds.
          scheduleRetry(INIT_POLL_MAX_MS);
        } else if (isGatewayError(err, 'ERR_SEAL_UNAVAILABLE') || isGatewayError(err, 'ERR_STORAGE_UNAVAILABLE')) {
          scheduleRetry();
          logger.warn({ code: retry.lastCode, attempt: retry.attempts, retry_in_ms: retry.nextAt === null ? null : retry.nextAt - runtime.now() }, `staying sealed: ${retry.lastError}`);
        } else {
          retry.nextAt = null;
          const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined;
          logger.error({ code: retry.lastCode, ...(cause === undefined ? {} : { seals: cause }) }, `staying sealed: ${retry.lastError}`);
        }
      }
    });

  /** Issues the root token of a fresh API init and captures it for the response. */
  const captureToken = async (): Promise<string> => {
    let captured: string | null = null;
    const issued = await deps.afterUnseal(async (token) => {
      captured = token;
    });
    const token = captured ?? issued;
    if (token === null) throw new GatewayError('ERR_INTERNAL', 'initialisation did not issue a root token');
    return token;
  };

  /** Decodes a submitted key or share: hex (as Vault prints it) or base64. */
  const decodeKey = (text: string, length: number): Uint8Array => {
    const trimmed = text.trim();
    const bytes = /^[0-9a-fA-F]+$/.test(trimmed) && trimmed.length === length * 2 ? hexToBytes(trimmed) : fromBase64(trimmed);
    if (bytes === null || bytes.length !== length) {
      throw new ValidationError('the key is malformed', [{ field: 'key', reason: `must be ${length} bytes, hex or base64` }]);
    }
    return bytes;
  };

  const shareLength = (settings: ShareSettings): number => (settings.shares === 1 ? SHARE_KEY_BYTES : SHARE_KEY_BYTES + 1);

  /** Adds a share to a ceremony; returns the combined key once `threshold` are in (the ceremony's shares are then zeroed). */
  const addShare = async (ceremony: Ceremony, text: string, settings: ShareSettings): Promise<Uint8Array | null> => {
    const share = decodeKey(text, shareLength(settings));
    const sameX = settings.shares > 1 ? ceremony.shares.find((s) => s[s.length - 1] === share[share.length - 1]) : undefined;
    if (sameX !== undefined) {
      const identical = constantTimeEqual(sameX, share);
      share.fill(0);
      if (identical) throw new ValidationError('this share was already submitted', [{ field: 'key', reason: 'duplicate share' }]);
      // Two different shares at one x-coordinate cannot come from one split: the set is wrong
      // (a share from another initialisation), and the attempt ends as a wrong set does.
      for (const s of ceremony.shares) s.fill(0);
      ceremony.shares = [];
      throw new GatewayError('ERR_SHARES_INVALID', 'the submitted shares do not reconstruct this store\'s key; the attempt was reset');
    }
    ceremony.shares.push(share);
    if (ceremony.shares.length < settings.threshold) return null;
    try {
      return await combineShares(ceremony.shares, SHARE_KEY_BYTES);
    } finally {
      for (const s of ceremony.shares) s.fill(0);
      ceremony.shares = [];
    }
  };

  const newCeremony = (): Ceremony => ({ nonce: runtime.randomUUID(), shares: [], startedAt: runtime.now() });

  const expire = <T extends Ceremony>(c: T | null): T | null => {
    if (c !== null && runtime.now() - c.startedAt > CEREMONY_TTL_MS) {
      for (const s of c.shares) s.fill(0);
      return null;
    }
    return c;
  };

  const checkNonce = (c: Ceremony | null, nonce: string | undefined, what: string): Ceremony => {
    if (c === null) throw new GatewayError('ERR_BAD_REQUEST', `no ${what} is in progress`);
    if (nonce === undefined || !constantTimeEqual(utf8(nonce), utf8(c.nonce))) {
      throw new ValidationError(`the nonce does not match the ${what} in progress`, [{ field: 'nonce', reason: 'does not match the attempt in progress' }]);
    }
    return c;
  };

  const requireShares = async (): Promise<{ record: SealRecordStatus; settings: ShareSettings }> => {
    const record = await barrier.record();
    if (record === null) throw new GatewayError('ERR_NOT_INITIALIZED', 'Keygate is not initialized');
    if (record.shares === null) throw new GatewayError('ERR_BAD_REQUEST', 'this store has no unseal or recovery shares (it was initialised without them)');
    return { record, settings: record.shares };
  };

  /** Verifies a combined share key against the record, in constant time; zeroes it and throws `ERR_SHARES_INVALID` when wrong. */
  const verifyShareKey = async (key: Uint8Array, settings: ShareSettings): Promise<void> => {
    if (!constantTimeEqual(utf8(await shareCheck(key)), utf8(settings.check))) {
      key.fill(0);
      throw new GatewayError('ERR_SHARES_INVALID', 'the submitted shares do not reconstruct this store\'s key; the attempt was reset');
    }
  };

  /**
   * One share for an unsealed store's ceremony: checks the nonce, adds the share, and ends
   * the ceremony on anything but a malformed share. `key` is the combined share key once
   * the threshold is reached (verified against the record; the caller zeroes it).
   */
  const submit = async <K extends keyof typeof ceremonies>(slot: K, input: { key: string; nonce: string }, what: string) => {
    if (barrier.sealed) throw new GatewayError('ERR_SEALED', 'Keygate is sealed');
    const { record, settings } = await requireShares();
    ceremonies[slot] = expire<Ceremony>(ceremonies[slot]) as (typeof ceremonies)[K];
    const c = checkNonce(ceremonies[slot], input.nonce, what) as NonNullable<(typeof ceremonies)[K]>;
    let key: Uint8Array | null;
    try {
      key = await addShare(c, input.key, settings);
    } catch (err) {
      if (!(err instanceof ValidationError)) ceremonies[slot] = null;
      throw err;
    }
    if (key !== null) {
      ceremonies[slot] = null;
      await verifyShareKey(key, settings);
    }
    return { c, key, record, settings };
  };

  const ceremonyStatus = (c: Ceremony | null, required: number): CeremonyStatus => ({
    started: c !== null,
    nonce: c?.nonce ?? '',
    required,
    progress: c?.shares.length ?? 0,
    complete: false,
  });

  const manager: SealManager = {
    type,

    async start() {
      if (!(await barrier.isInitialized())) {
        if (!setup.autoInit) {
          logger.warn('Keygate is not initialized: initialise it once with POST /api/v1/sys/init (or `keygate operator init`)');
          // KMS seals: unseal by itself once another replica (or an operator) initialises the store.
          if (autoSeals.length > 0) {
            retry.attempts = 1;
            scheduleRetry(INIT_POLL_MAX_MS);
          }
          return { initialized: false };
        }
        return serial(async () => {
          await barrier.initialize(named(enabled), { required: setup.required });
          logger.info({ seals: enabled.map((s) => s.name) }, 'initialised a new Keygate store');
          await deps.afterUnseal(deps.onRootToken);
          return { initialized: true };
        });
      }
      if (autoSeals.length === 0) {
        logger.info('sealed: submit unseal shares with POST /api/v1/sys/unseal (or `keygate operator unseal`)');
        return { initialized: false };
      }
      const record = await barrier.record();
      // A store whose record needs shares (a shamir entry counted towards k) waits for them.
      const shamirNeeded = record !== null && record.entries.some((e) => e.type === SHAMIR_TYPE) && autoSeals.filter((s) => record.entries.some((e) => e.name === s.name)).length < record.required;
      if (shamirNeeded) {
        logger.info('sealed: this store needs unseal shares; submit them with POST /api/v1/sys/unseal');
        return { initialized: false };
      }
      await autoUnseal();
      return { initialized: false };
    },

    init(input) {
      return serial(async () => {
        if (await barrier.isInitialized()) throw new GatewayError('ERR_CONFLICT', 'Keygate is already initialized');
        clearRetry();
        const shamir = enabled.some((s) => s.type === SHAMIR_TYPE);
        const [sharesField, thresholdField, otherShares, otherThreshold] = shamir
          ? (['secret_shares', 'secret_threshold', 'recovery_shares', 'recovery_threshold'] as const)
          : (['recovery_shares', 'recovery_threshold', 'secret_shares', 'secret_threshold'] as const);
        if (input[otherShares] !== undefined || input[otherThreshold] !== undefined) {
          throw new ValidationError(`${otherShares}/${otherThreshold} do not apply to this seal; use ${sharesField}/${thresholdField}`, [{ field: input[otherShares] !== undefined ? otherShares : otherThreshold, reason: `not used with ${shamir ? 'a shamir' : 'a KMS'} seal` }]);
        }
        const count = input[sharesField] ?? DEFAULT_SHARES;
        const threshold = input[thresholdField] ?? (count < DEFAULT_THRESHOLD ? count : DEFAULT_THRESHOLD);
        if (count === 0 && !shamir) {
          if (input[thresholdField] !== undefined && input[thresholdField] !== 0) throw new ValidationError('recovery_threshold must be 0 when recovery_shares is 0', [{ field: 'recovery_threshold', reason: 'must be 0 without recovery shares' }]);
        } else {
          checkShareCounts(count, threshold, { shares: sharesField, threshold: thresholdField });
        }
        const shareKey = count > 0 ? runtime.randomBytes(SHARE_KEY_BYTES) : null;
        try {
          const settings: ShareSettings | null = shareKey === null ? null : { shares: count, threshold, check: await shareCheck(shareKey) };
          const seals = enabled.map((s): NamedSeal => ({ name: s.name, wrapper: s.wrapper ?? shamirWrapper(shareKey as Uint8Array) }));
          const shares = shareKey === null ? [] : await splitSecret(shareKey, count, threshold);
          await barrier.initialize(seals, { required: setup.required, shares: settings });
          if (shareKey !== null) await sys.put(SHARE_KEY, utf8(toBase64(shareKey)));
          const rootToken = await captureToken();
          logger.warn({ seals: enabled.map((s) => s.name), shares: count, threshold }, 'initialised through the API: the root token and shares were returned once and are not stored in clear anywhere');
          const hex = shares.map((s) => toHex(s));
          const b64 = shares.map((s) => toBase64(s));
          for (const s of shares) s.fill(0);
          return shamir
            ? { keys: hex, keys_base64: b64, recovery_keys: [], recovery_keys_base64: [], root_token: rootToken }
            : { keys: [], keys_base64: [], recovery_keys: hex, recovery_keys_base64: b64, root_token: rootToken };
        } finally {
          shareKey?.fill(0);
        }
      });
    },

    unseal(input) {
      return serial(async () => {
        if (input.reset === true) {
          for (const s of unsealAttempt?.shares ?? []) s.fill(0);
          unsealAttempt = null;
          if (input.key === undefined) return;
        }
        // Malformed input is refused whatever the state, so callers learn of it at once.
        if (input.key !== undefined && !/^([0-9a-fA-F]{2})+$/.test(input.key.trim()) && fromBase64(input.key.trim()) === null) {
          throw new ValidationError('the key is malformed', [{ field: 'key', reason: 'must be hex or base64' }]);
        }
        if (!barrier.sealed) return;
        const record = await barrier.record();
        if (record === null) throw new GatewayError('ERR_NOT_INITIALIZED', 'Keygate is not initialized');
        if (input.key === undefined) throw new ValidationError('key is required', [{ field: 'key', reason: 'is required' }]);
        const shamirEntry = record.entries.find((e) => e.type === SHAMIR_TYPE);
        // The dev key file: the whole key, no shares.
        if (shamirEntry === undefined && devSeal?.fromKey !== undefined) {
          const wrapper = devSeal.fromKey(decodeKey(input.key, SHARE_KEY_BYTES));
          if (wrapper === null) throw new ValidationError('the key is malformed', [{ field: 'key', reason: 'must be the 32-byte dev seal key' }]);
          const seals = [{ name: devSeal.name, wrapper }, ...named(autoSeals.filter((s) => s !== devSeal))];
          const report = await barrier.unseal(seals, { timeoutMs: setup.unwrapTimeoutMs });
          await finishUnseal(report, 'with the dev seal key');
          return;
        }
        if (record.shares === null) {
          throw new GatewayError('ERR_BAD_REQUEST', 'this store has no recovery shares: restart the process to unseal it with its seals');
        }
        const settings = record.shares;
        unsealAttempt = expire(unsealAttempt);
        if (unsealAttempt !== null && input.nonce !== undefined) checkNonce(unsealAttempt, input.nonce, 'unseal');
        unsealAttempt ??= newCeremony();
        const attempt = unsealAttempt;
        let key: Uint8Array | null;
        try {
          key = await addShare(attempt, input.key, settings);
        } catch (err) {
          if (!(err instanceof ValidationError)) unsealAttempt = null;
          if (isGatewayError(err, 'ERR_SHARES_INVALID')) throw new GatewayError('ERR_UNSEAL_FAILED', 'unseal failed: the shares do not open this store; the attempt was reset');
          throw err;
        }
        if (key === null) return;
        // Enough shares: whatever happens next, this attempt is over.
        unsealAttempt = null;
        try {
          await verifyShareKey(key, settings).catch(() => {
            throw new GatewayError('ERR_UNSEAL_FAILED', 'unseal failed: the shares do not open this store; the attempt was reset');
          });
          const seals = named(autoSeals);
          if (shamirEntry !== undefined) seals.push({ name: shamirEntry.name, wrapper: shamirWrapper(key) });
          const report = await barrier.unseal(seals, { timeoutMs: setup.unwrapTimeoutMs });
          await finishUnseal(report, shamirEntry !== undefined ? 'with unseal shares' : 'with recovery shares');
        } finally {
          key.fill(0);
        }
      });
    },

    seal() {
      return serial(async () => {
        manuallySealed = true;
        clearRetry();
        for (const c of [unsealAttempt, ceremonies.rekey, ceremonies.generateRoot]) for (const s of c?.shares ?? []) s.fill(0);
        ceremonies.generateRoot?.otp.fill(0);
        unsealAttempt = null;
        ceremonies.rekey = null;
        ceremonies.generateRoot = null;
        await barrier.flushUsage().catch(() => undefined);
        await deps.beforeSeal();
      });
    },

    async status() {
      const record = await barrier.record().catch(() => null);
      const initialized = await barrier.isInitialized();
      unsealAttempt = expire(unsealAttempt);
      const sealed = barrier.sealed;
      const shares = record?.shares ?? null;
      const shamir = record?.entries.some((e) => e.type === SHAMIR_TYPE) ?? hasShamir;
      return {
        type: record === null ? type : shamir ? SHAMIR_TYPE : (record.entries.find((e) => enabled.some((s) => s.name === e.name))?.type ?? record.entries[0]?.type ?? type),
        initialized,
        sealed,
        t: shares?.threshold ?? 0,
        n: shares?.shares ?? 0,
        progress: sealed ? (unsealAttempt?.shares.length ?? 0) : 0,
        nonce: sealed ? (unsealAttempt?.nonce ?? '') : '',
        recovery_seal: record !== null && !shamir && shares !== null,
        ...(record === null || sealed ? {} : { cluster_id: record.clusterId }),
        ...(sealed && retry.attempts > 0 && retry.lastCode !== ''
          ? { auto_unseal: { attempts: retry.attempts, last_error_code: retry.lastCode, last_error: retry.lastError, next_attempt_in_ms: retry.nextAt === null ? null : Math.max(0, retry.nextAt - runtime.now()) } }
          : {}),
      };
    },

    async rekeyStart(input) {
      if (barrier.sealed) throw new GatewayError('ERR_SEALED', 'Keygate is sealed');
      const { settings } = await requireShares();
      checkShareCounts(input.secret_shares, input.secret_threshold);
      ceremonies.rekey = expire(ceremonies.rekey);
      if (ceremonies.rekey !== null) throw new GatewayError('ERR_CONFLICT', 'a rekey is already in progress: finish it or cancel it first');
      const c = { ...newCeremony(), newShares: input.secret_shares, newThreshold: input.secret_threshold };
      ceremonies.rekey = c;
      logger.warn({ shares: input.secret_shares, threshold: input.secret_threshold }, 'rekey started');
      return { ...ceremonyStatus(c, settings.threshold), t: c.newThreshold, n: c.newShares };
    },

    rekeyUpdate(input) {
      return serial(async () => {
        const { c, key, record, settings } = await submit('rekey', input, 'rekey');
        if (key === null) return { ...ceremonyStatus(c, settings.threshold), t: c.newThreshold, n: c.newShares };
        const newKey = runtime.randomBytes(SHARE_KEY_BYTES);
        try {
          const newSettings: ShareSettings = { shares: c.newShares, threshold: c.newThreshold, check: await shareCheck(newKey) };
          const shares = await splitSecret(newKey, c.newShares, c.newThreshold);
          // The key behind the barrier first, the record (what checks shares, and under
          // shamir the root key's wrap) last: it is the commit point.
          const available = await availableSeals(record);
          await sys.put(SHARE_KEY, utf8(toBase64(newKey)));
          const shamirEntry = record.entries.find((e) => e.type === SHAMIR_TYPE);
          try {
            await barrier.updateSeals({ ...(shamirEntry === undefined ? {} : { wrap: [{ name: shamirEntry.name, wrapper: shamirWrapper(newKey) }] }), shares: newSettings, available });
          } catch (err) {
            // The record still checks the old shares: put the old key back so the two agree.
            await sys.put(SHARE_KEY, utf8(toBase64(key))).catch((e: unknown) => logger.error({ code: isGatewayError(e) ? e.code : 'error' }, 'rekey failed and the previous share key could not be restored: rekey again before migrating to shamir'));
            throw err;
          }
          logger.warn({ shares: c.newShares, threshold: c.newThreshold }, 'rekey complete: the old shares no longer work');
          const result = { started: false, nonce: c.nonce, required: settings.threshold, progress: 0, t: c.newThreshold, n: c.newShares, complete: true, keys: shares.map((s) => toHex(s)), keys_base64: shares.map((s) => toBase64(s)) };
          for (const s of shares) s.fill(0);
          return result;
        } finally {
          key.fill(0);
          newKey.fill(0);
        }
      });
    },

    rekeyCancel() {
      for (const s of ceremonies.rekey?.shares ?? []) s.fill(0);
      ceremonies.rekey = null;
    },

    async rekeyStatus() {
      const c = (ceremonies.rekey = expire(ceremonies.rekey));
      const required = (await barrier.record())?.shares?.threshold ?? 0;
      return c === null ? ceremonyStatus(null, required) : { ...ceremonyStatus(c, required), t: c.newThreshold, n: c.newShares };
    },

    async generateRootStart() {
      if (barrier.sealed) throw new GatewayError('ERR_SEALED', 'Keygate is sealed');
      const { settings } = await requireShares();
      ceremonies.generateRoot = expire(ceremonies.generateRoot);
      if (ceremonies.generateRoot !== null) throw new GatewayError('ERR_CONFLICT', 'a root token generation is already in progress: finish it or cancel it first');
      const otp = runtime.randomBytes(OTP_BYTES);
      ceremonies.generateRoot = { ...newCeremony(), otp };
      logger.warn('root token generation started');
      return { ...ceremonyStatus(ceremonies.generateRoot, settings.threshold), otp: toBase64(otp), otp_length: OTP_BYTES };
    },

    generateRootUpdate(input) {
      return serial(async () => {
        const { c, key, settings } = await submit('generateRoot', input, 'root token generation');
        if (key === null) return ceremonyStatus(c, settings.threshold);
        key.fill(0);
        const token = utf8(await deps.createRootToken());
        if (token.length > c.otp.length) throw new GatewayError('ERR_INTERNAL', 'the root token is longer than the one-time pad');
        // The token XOR the pad the initiator holds: share holders never see the token.
        const encoded = new Uint8Array(token.length);
        for (let i = 0; i < token.length; i++) encoded[i] = (token[i] ?? 0) ^ (c.otp[i] ?? 0);
        token.fill(0);
        c.otp.fill(0);
        logger.warn('root token generated from shares');
        return { started: false, nonce: c.nonce, required: settings.threshold, progress: settings.threshold, complete: true, encoded_token: toBase64(encoded) };
      });
    },

    generateRootCancel() {
      for (const s of ceremonies.generateRoot?.shares ?? []) s.fill(0);
      ceremonies.generateRoot?.otp.fill(0);
      ceremonies.generateRoot = null;
    },

    async generateRootStatus() {
      ceremonies.generateRoot = expire(ceremonies.generateRoot);
      return ceremonyStatus(ceremonies.generateRoot, (await barrier.record())?.shares?.threshold ?? 0);
    },

    rewrap() {
      return serial(async () => {
        if (barrier.sealed) throw new GatewayError('ERR_SEALED', 'Keygate is sealed');
        const wrap = named(enabled);
        let record = await barrier.updateSeals({ wrap });
        logger.warn({ seals: wrap.map((s) => s.name) }, 'root key rewrapped under the seals\' current key versions');
        // Prove the fresh wraps at once (an unseal while unsealed re-proves and records it),
        // rather than leaving them unverified until the next restart.
        try {
          await barrier.unseal(wrap, { timeoutMs: setup.unwrapTimeoutMs });
          record = (await barrier.record()) ?? record;
        } catch (err) {
          logger.error({ code: isGatewayError(err) ? err.code : 'error' }, 'a rewrapped root key did not unwrap: check the seals before restarting');
        }
        return record;
      });
    },

    rotateRoot() {
      return serial(async () => {
        if (barrier.sealed) throw new GatewayError('ERR_SEALED', 'Keygate is sealed');
        const record = await barrier.record();
        const seals = named(setup.seals);
        const shamirEntry = record?.entries.find((e) => e.type === SHAMIR_TYPE);
        if (record !== null && shamirEntry !== undefined) {
          const key = await readShareKey(record);
          if (key !== null) {
            seals.push({ name: shamirEntry.name, wrapper: shamirWrapper(key) });
            key.fill(0);
          }
        }
        const next = await barrier.rotateRoot(seals);
        logger.warn({ generation: next.generation }, 'root key rotated');
        return next;
      });
    },

    async describe() {
      return { record: await barrier.record(), configured: setup.seals, required: setup.required };
    },

    async close() {
      closed = true;
      clearRetry();
      await Promise.all(setup.seals.map((s) => s.wrapper?.close?.().catch(() => undefined)));
    },
  };
  return manager;
}

/** Root tokens are shorter than this; the pad covers them whole. */
const OTP_BYTES = 64;

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
