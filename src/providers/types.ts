/**
 * The provider contract (ARCHITECTURE.md, decision 5): each cloud secret store is wrapped in
 * a narrow port of the few SDK calls Keygate needs. Names here are already the cloud's names
 * (see `NameMapper`); values travel as `Sensitive`. Resilience (timeouts, retries, circuit
 * breaking, error sanitising) is written once around every port (`resilience.ts`), and one
 * adapter (`provider-engine.ts`) turns any port into a mounted backend with the KV contract.
 */

import type { Sensitive } from '../core/index.js';

/** The stages of Keygate's one rotation model (decision 0010). */
export type Stage = 'current' | 'pending' | 'previous';

/** A secret value as the cloud holds it: text (JSON or not) or bytes. */
export type ProviderValue = { kind: 'text'; text: Sensitive<string> } | { kind: 'binary'; bytes: Sensitive<Uint8Array> };

export interface ProviderVersion {
  /** The cloud's version id (AWS VersionId, Azure version, GCP version number as text). */
  id: string;
  /** Which of Keygate's stages this version holds now. */
  stages: Stage[];
  /** RFC 3339, when the cloud reports it. */
  createdTime: string | null;
  /** False for disabled versions (GCP, Azure); always true on AWS. */
  enabled: boolean;
}

export interface ProviderSecretInfo {
  /** The cloud name. */
  name: string;
  tags: Record<string, string>;
  createdTime: string | null;
  updatedTime: string | null;
  /** Scheduled for deletion but recoverable (AWS, Azure soft delete). */
  deleted: boolean;
  /** The newest versions first, at most the port's page (bounded). */
  versions: ProviderVersion[];
  /** The cloud's entity tag for the secret, where it has one (GCP). */
  etag: string | null;
}

export interface ReadResult {
  value: ProviderValue;
  version: ProviderVersion;
  /** The cloud's entity tag, where it has one. */
  etag: string | null;
}

/** Which version to read: by id, or the version holding a stage (default `current`). */
export type VersionSelector = { versionId: string } | { stage: Stage };

export interface ProviderCapabilities {
  /** Stores bytes as bytes (else binary values are refused with 400). */
  binary: boolean;
  /** Deletes are recoverable by default (restore works until purged). */
  recoverableDelete: boolean;
  /** Single versions can be destroyed (GCP). */
  destroyVersion: boolean;
  /** The cloud offers a real compare-and-set for writes (documented per provider where not). */
  atomicConditionalWrite: boolean;
}

/**
 * A cloud secret store, narrowed to what Keygate uses. Every method takes the cloud name
 * (already mapped), honours `signal`, and throws `ProviderError` (below) for cloud failures;
 * resilience middleware turns those into client-facing codes. "Not found" is `null` where a
 * method returns one, else `ProviderError('not_found')`.
 */
export interface SecretProvider {
  readonly type: string;
  readonly capabilities: ProviderCapabilities;
  /** A cheap authenticated call proving the configuration works (credentials, region, vault, project). */
  validate(signal: AbortSignal): Promise<void>;
  /** The value at a version (default: current); null when the secret or version does not exist or is deleted. */
  read(name: string, selector: VersionSelector, signal: AbortSignal): Promise<ReadResult | null>;
  /** Metadata, tags and recent versions; null when the secret does not exist (deleted ones are returned, marked). */
  describe(name: string, signal: AbortSignal): Promise<ProviderSecretInfo | null>;
  /** Creates the secret with its first version as `current`. `ProviderError('conflict')` when it exists. */
  create(name: string, value: ProviderValue, tags: Record<string, string>, signal: AbortSignal): Promise<ProviderVersion>;
  /**
   * Adds a version holding `stage` (`current`: the previous current becomes `previous`;
   * `pending`: nothing else moves). `expectCurrent`, when given, is the version id (or etag)
   * the caller believes current; providers check it as closely as their cloud allows.
   */
  addVersion(name: string, value: ProviderValue, opts: { stage: 'current' | 'pending'; expectCurrent?: string }, signal: AbortSignal): Promise<ProviderVersion>;
  /** Promotes `versionId` to `current` (the old current becomes `previous`; `pending` is cleared). */
  promote(name: string, versionId: string, signal: AbortSignal): Promise<void>;
  /** Removes the `pending` stage from `versionId` (and disables it where the cloud has that notion). */
  discardPending(name: string, versionId: string, signal: AbortSignal): Promise<void>;
  /** Deletes the secret: recoverable unless `force`. */
  delete(name: string, opts: { force: boolean }, signal: AbortSignal): Promise<void>;
  /** Restores a recoverably deleted secret. */
  restore(name: string, signal: AbortSignal): Promise<void>;
  /** Destroys one version for good (only when `capabilities.destroyVersion`). */
  destroyVersion?(name: string, versionId: string, signal: AbortSignal): Promise<void>;
  /** Names of live secrets, one page; `prefix` is a hint the cloud may use to filter. */
  list(opts: { prefix: string; pageToken?: string; pageSize: number }, signal: AbortSignal): Promise<{ names: string[]; nextPageToken?: string }>;
  /** Sets tags (adds or replaces the keys given). */
  putTags(name: string, tags: Record<string, string>, signal: AbortSignal): Promise<void>;
  /** Removes tags by key. */
  removeTags(name: string, keys: readonly string[], signal: AbortSignal): Promise<void>;
  /** Releases clients and connections. */
  close?(): Promise<void>;
}

/** How a cloud call failed, as far as Keygate's clients need to know. */
export type ProviderErrorKind =
  | 'not_found'
  | 'conflict'
  | 'precondition_failed'
  | 'invalid'
  | 'throttled'
  | 'unauthorized'
  | 'unavailable'
  | 'timeout'
  | 'deleted';

/**
 * A cloud failure, already stripped of request ids, ARNs, account ids and credential scopes:
 * `message` is Keygate's own words. `retryAfterMs` carries a throttling hint. `cause` keeps
 * the SDK error for debugging and is never logged or returned.
 */
export class ProviderError extends Error {
  readonly options: { retryAfterMs?: number; retryable?: boolean };

  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    options: { retryAfterMs?: number; cause?: unknown; retryable?: boolean } = {},
  ) {
    // The SDK error goes into Error's own `cause`, which is non-enumerable: JSON.stringify and
    // spreading never carry it (it holds the cloud's text: request ids, ARNs, project ids).
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProviderError';
    this.options = { ...(options.retryAfterMs === undefined ? {} : { retryAfterMs: options.retryAfterMs }), ...(options.retryable === undefined ? {} : { retryable: options.retryable }) };
  }
}

/**
 * The reversible, collision-free mapping between logical paths (relative to the mount) and
 * one cloud's names. `toCloud` throws `ValidationError` (`ERR_VALIDATION`, field `path`) for
 * a path that cannot be represented; `fromCloud` returns null for names Keygate did not map
 * (they are left out of listings).
 */
export interface NameMapper {
  toCloud(path: string): string;
  fromCloud(name: string): string | null;
  /** A prefix of cloud names under which every name mapped from `folder` lies (for list filters). */
  cloudPrefix(folder: string): string;
}
