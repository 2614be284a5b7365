/**
 * Azure Key Vault behind the `SecretProvider` port (docs/providers/azure.md), over
 * `@azure/keyvault-secrets`' `SecretClient`. The SDK's own retries are off: Keygate's
 * resilience middleware retries, once, for every provider.
 *
 * Values are text: a binary value is stored as base64 with content type
 * `application/octet-stream;base64`, which Keygate sets and decodes back.
 *
 * Stages: Azure has one notion of "current", the newest version, which every plain Azure
 * reader gets. Keygate keeps its `current` equal to Azure's newest version, so plain readers
 * and Keygate always agree, and marks the other stages with version tags:
 * `keygate-stage=pending|previous|discarded`. A pending version is written and then the
 * current value is written again on top of it (a *carrier* version, tagged
 * `keygate-copy-of=<version id>`), so plain readers never see an unverified value; promoting
 * writes the pending value on top the same way. A carrier answers with the id of the
 * version it carries, so version ids Keygate reports stay stable across rotations.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { ClientSecretCredential, DefaultAzureCredential, WorkloadIdentityCredential } from '@azure/identity';
import type { TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import type { KeyVaultSecret, SecretClientOptions, SecretProperties } from '@azure/keyvault-secrets';
import { azureKeyVaultClientOptions } from '../../cloud/azure/index.js';
import { Sensitive, fromBase64, sleep, toBase64 } from '../../core/index.js';
import type { Runtime } from '../../core/index.js';
import { ProviderError } from '../types.js';
import type { ProviderErrorKind, ProviderSecretInfo, ProviderValue, ProviderVersion, ReadResult, SecretProvider, Stage, VersionSelector } from '../types.js';
import { azureProviderError, toProviderError } from './errors.js';
import { vaultUrlOf } from './options.js';
import type { AzureKeyVaultOptions } from './options.js';

/** The mount type. */
export const AZURE_KEY_VAULT_TYPE = 'azure-key-vault';
/** Content type Keygate sets on binary values (stored as base64 text). */
export const BINARY_CONTENT_TYPE = 'application/octet-stream;base64';
/** Version tag holding a version's stage other than current. */
export const STAGE_TAG = 'keygate-stage';
/** Version tag on a carrier version: the id of the version whose value it carries. */
export const COPY_TAG = 'keygate-copy-of';
/** Most versions `describe` reports. */
export const MAX_DESCRIBED_VERSIONS = 100;

const INTERNAL_TAGS: ReadonlySet<string> = new Set([STAGE_TAG, COPY_TAG]);
/** Azure's page size limit for lists (`maxresults`). */
const AZURE_PAGE = 25;
/** Azure pages one `list` call reads at most while filling a Keygate page. */
const MAX_PAGES_PER_LIST = 40;
const VERSION_ID = /^[0-9a-zA-Z]{1,64}$/;

export interface AzureKeyVaultPortDeps {
  runtime: Runtime;
  /** Overrides the credential the options describe (tests pass one that returns a dummy token). */
  credential?: TokenCredential;
  /** Between polls of a soft delete or recovery (default 500 ms). */
  pollIntervalMs?: number;
  /** Polls of a soft delete or recovery before giving up (default 60). */
  maxPolls?: number;
}

type StageTag = 'pending' | 'previous' | 'discarded';

/** One physical Azure version, as listed (no value). */
interface PhysicalVersion {
  id: string;
  /** The id Keygate reports: the carried version's for a carrier, else its own. */
  logicalId: string;
  carrier: boolean;
  enabled: boolean;
  createdMs: number;
  createdTime: string | null;
  updatedMs: number;
  tags: Record<string, string>;
  stage: StageTag | null;
}

/** Keygate's current version: Azure's newest, normally (see `currentOf`). */
interface Current {
  secret: KeyVaultSecret;
  physicalId: string;
  logicalId: string;
  /** Found by listing because the newest version was not current (an interrupted operation). */
  repaired: boolean;
}

/** The credential the options describe. Makes no network call. */
export function azureCredentialOf(options: AzureKeyVaultOptions): TokenCredential {
  const c = options.credential;
  switch (c.type) {
    case 'client_secret':
      return new ClientSecretCredential(c.tenant_id, c.client_id, c.client_secret);
    case 'workload_identity':
      return new WorkloadIdentityCredential({
        ...(c.tenant_id === undefined ? {} : { tenantId: c.tenant_id }),
        ...(c.client_id === undefined ? {} : { clientId: c.client_id }),
        ...(c.token_file_path === undefined ? {} : { tokenFilePath: c.token_file_path }),
      });
    case 'default':
      return new DefaultAzureCredential();
  }
}

/** Where a list call in progress receives the `nextLink` of the page it read (see `nextLinkPolicy`). */
interface LinkCapture {
  nextLink: string | undefined;
}

/**
 * Records the `nextLink` of each secrets-list page for the list call that asked for it. The
 * SDK follows `nextLink`s only inside one iteration and drops them from the pages it hands
 * out, but Keygate's page tokens must resume a listing in a later request.
 */
function nextLinkPolicy(store: AsyncLocalStorage<LinkCapture>): PipelinePolicy {
  return {
    name: 'keygateNextLinkCapture',
    async sendRequest(request, next) {
      const response = await next(request);
      const capture = store.getStore();
      if (capture !== undefined && response.status === 200 && typeof response.bodyAsText === 'string') {
        try {
          const body: unknown = JSON.parse(response.bodyAsText);
          const link: unknown = typeof body === 'object' && body !== null ? Reflect.get(body, 'nextLink') : undefined;
          capture.nextLink = typeof link === 'string' && link !== '' ? link : undefined;
        } catch {
          capture.nextLink = undefined;
        }
      }
      return response;
    },
  };
}

/** The `SecretClient` options the mount options imply: SDK retries off, optional CA and API version. */
export function azureClientOptions(options: AzureKeyVaultOptions, extraPolicies: PipelinePolicy[] = []): SecretClientOptions {
  return {
    ...azureKeyVaultClientOptions(options),
    additionalPolicies: extraPolicies.map((policy) => ({ policy, position: 'perCall' as const })),
  };
}

const userTags = (tags: Record<string, string> | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags ?? {})) if (!INTERNAL_TAGS.has(k)) out[k] = v;
  return out;
};

const stageOf = (tags: Record<string, string> | undefined): StageTag | null => {
  const s = tags?.[STAGE_TAG];
  return s === 'pending' || s === 'previous' || s === 'discarded' ? s : null;
};

function physicalOf(p: SecretProperties): PhysicalVersion | null {
  if (p.version === undefined || p.version === '') return null;
  const tags = p.tags ?? {};
  const copyOf = tags[COPY_TAG];
  return {
    id: p.version,
    logicalId: copyOf !== undefined && VERSION_ID.test(copyOf) ? copyOf : p.version,
    carrier: copyOf !== undefined,
    enabled: p.enabled !== false,
    createdMs: p.createdOn?.getTime() ?? 0,
    createdTime: p.createdOn?.toISOString() ?? null,
    updatedMs: p.updatedOn?.getTime() ?? 0,
    tags,
    stage: stageOf(tags),
  };
}

/** Newest first. Azure's `created` has one-second resolution and lists come in no order, so ties fall back to the id (stable, not meaningful). */
const newestFirst = (a: PhysicalVersion, b: PhysicalVersion): number => b.createdMs - a.createdMs || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

function encodeValue(value: ProviderValue): { text: string; contentType: string | undefined } {
  if (value.kind === 'binary') return { text: toBase64(value.bytes.reveal()), contentType: BINARY_CONTENT_TYPE };
  return { text: value.text.reveal(), contentType: undefined };
}

function decodeValue(secret: KeyVaultSecret): ProviderValue {
  const text = secret.value ?? '';
  if (secret.properties.contentType === BINARY_CONTENT_TYPE) {
    const bytes = fromBase64(text);
    if (bytes !== null) return { kind: 'binary', bytes: new Sensitive(bytes) };
  }
  return { kind: 'text', text: new Sensitive(text) };
}

const checkUserTags = (tags: Record<string, string> | readonly string[]): void => {
  const keys = Array.isArray(tags) ? tags : Object.keys(tags);
  if (keys.some((k) => INTERNAL_TAGS.has(k))) throw azureProviderError('invalid', `tag keys ${STAGE_TAG} and ${COPY_TAG} are reserved for Keygate's stages`);
};

/** Page token: the Azure page to read (its query, never a URL) and how many of its items were already returned. */
interface PageCursor {
  q: string | null;
  s: number;
}

function encodeCursor(cursor: PageCursor): string {
  return toBase64(new TextEncoder().encode(JSON.stringify(cursor))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Only these query parameters of an Azure `nextLink` are kept: the host and path come from the configuration, never from a token. */
const LINK_PARAMS = ['api-version', '$skiptoken', 'maxresults'] as const;

function decodeCursor(token: string): PageCursor {
  const invalid = () => azureProviderError('invalid', 'the page token is not valid for this mount');
  const bytes = fromBase64(token);
  if (bytes === null || token.length > 8192) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw invalid();
  }
  const q: unknown = typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, 'q') : undefined;
  const s: unknown = typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, 's') : undefined;
  if (!(q === null || typeof q === 'string') || typeof s !== 'number' || !Number.isInteger(s) || s < 0 || s > AZURE_PAGE * 4) throw invalid();
  return { q: q === null ? null : sanitiseQuery(q), s };
}

function sanitiseQuery(query: string): string {
  const from = new URLSearchParams(query);
  const to = new URLSearchParams();
  for (const key of LINK_PARAMS) {
    const value = from.get(key);
    if (value !== null) to.set(key, value);
  }
  return to.toString();
}

/**
 * Creates the port. Makes no network call: `validate` makes the first. `deps.credential`
 * (tests) replaces the credential the options describe, so no default chain runs.
 */
export function createAzureKeyVaultPort(options: AzureKeyVaultOptions, deps: AzureKeyVaultPortDeps): SecretProvider {
  const vaultUrl = vaultUrlOf(options);
  const links = new AsyncLocalStorage<LinkCapture>();
  const client = new SecretClient(vaultUrl, deps.credential ?? azureCredentialOf(options), azureClientOptions(options, [nextLinkPolicy(links)]));
  const pollIntervalMs = deps.pollIntervalMs ?? 500;
  const maxPolls = deps.maxPolls ?? 60;
  const now = () => deps.runtime.now();

  const cancelled = () => azureProviderError('timeout', 'the call to Azure Key Vault was cancelled');

  /**
   * Runs one SDK call: refuses to start when `signal` is aborted, and stops waiting when it
   * aborts (some SDK steps, such as later list pages, do not take the signal themselves).
   */
  const call = <T>(signal: AbortSignal, run: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (signal.aborted) return reject(cancelled());
      const onAbort = () => reject(cancelled());
      let running: Promise<T>;
      try {
        running = run();
      } catch (err) {
        return reject(toProviderError(err, now()));
      }
      signal.addEventListener('abort', onAbort, { once: true });
      running.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(toProviderError(err, now()));
        },
      );
    });

  const pause = (ms: number, signal: AbortSignal) => sleep(ms, signal, cancelled);

  const isKind = (err: unknown, kind: ProviderErrorKind): boolean => err instanceof ProviderError && err.kind === kind;

  /** Null on 404 (absent, or deleted: Azure answers 404 for both). */
  const getSecret = async (name: string, version: string | undefined, signal: AbortSignal): Promise<KeyVaultSecret | null> => {
    try {
      return await call(signal, () => client.getSecret(name, { abortSignal: signal, ...(version === undefined ? {} : { version }) }));
    } catch (err) {
      if (isKind(err, 'not_found')) return null;
      throw err;
    }
  };

  /** Every version of a live secret (Azure lists them unordered), or null when it does not exist or is deleted. */
  const listVersions = async (name: string, signal: AbortSignal): Promise<PhysicalVersion[] | null> => {
    const out: PhysicalVersion[] = [];
    try {
      const pages = client.listPropertiesOfSecretVersions(name, { abortSignal: signal }).byPage({ maxPageSize: AZURE_PAGE });
      for (;;) {
        const page = await call(signal, () => pages.next());
        if (page.done === true) break;
        for (const p of page.value) {
          const v = physicalOf(p);
          if (v !== null) out.push(v);
        }
      }
    } catch (err) {
      if (isKind(err, 'not_found')) return null;
      throw err;
    }
    return out.sort(newestFirst);
  };

  /** not_found, or `deleted` when the name is in soft-deleted state. */
  const missing = async (name: string, signal: AbortSignal): Promise<never> => {
    const deleted = await call(signal, () => client.getDeletedSecret(name, { abortSignal: signal })).catch((err: unknown) => {
      if (isKind(err, 'not_found')) return null;
      throw err;
    });
    throw azureProviderError(deleted === null ? 'not_found' : 'deleted');
  };

  /**
   * Keygate's current version: Azure's newest, unless an interrupted operation left a
   * pending, discarded or disabled version on top; then the newest version that can be
   * current (`repaired`). Null when the secret does not exist, is deleted or has no version
   * that can be current.
   */
  const currentOf = async (name: string, signal: AbortSignal): Promise<Current | null> => {
    let newest: KeyVaultSecret | null = null;
    try {
      newest = await getSecret(name, undefined, signal);
      if (newest === null) return null;
    } catch (err) {
      // 403 SecretDisabled: the newest version is disabled.
      if (!isKind(err, 'conflict')) throw err;
    }
    if (newest !== null) {
      const stage = stageOf(newest.properties.tags);
      const physicalId = newest.properties.version ?? '';
      if (stage !== 'pending' && stage !== 'discarded' && newest.properties.enabled !== false) {
        const copyOf = newest.properties.tags?.[COPY_TAG];
        return { secret: newest, physicalId, logicalId: copyOf !== undefined && VERSION_ID.test(copyOf) ? copyOf : physicalId, repaired: false };
      }
    }
    const versions = await listVersions(name, signal);
    const candidate = versions?.find((v) => v.enabled && v.stage !== 'pending' && v.stage !== 'discarded');
    if (candidate === undefined) return null;
    const secret = await getSecret(name, candidate.id, signal);
    if (secret === null) return null;
    return { secret, physicalId: candidate.id, logicalId: candidate.logicalId, repaired: true };
  };

  const requireCurrent = async (name: string, signal: AbortSignal): Promise<Current> => {
    const current = await currentOf(name, signal);
    return current ?? missing(name, signal);
  };

  const setTags = (name: string, version: string, tags: Record<string, string>, signal: AbortSignal, enabled?: boolean) =>
    call(signal, () => client.updateSecretProperties(name, version, { tags, abortSignal: signal, ...(enabled === undefined ? {} : { enabled }) }));

  /** Sets (or clears, with null) a version's stage tag, keeping its other tags. */
  const setStage = (name: string, v: PhysicalVersion, stage: StageTag | null, signal: AbortSignal, enabled?: boolean) => {
    const tags: Record<string, string> = { ...v.tags };
    delete tags[STAGE_TAG];
    if (stage !== null) tags[STAGE_TAG] = stage;
    return setTags(name, v.id, tags, signal, enabled);
  };

  /** Writes a version on top (Azure's newest) carrying `value` of version `logicalId`. */
  const writeCarrier = (name: string, source: KeyVaultSecret, logicalId: string, tags: Record<string, string>, signal: AbortSignal) =>
    call(signal, () =>
      client.setSecret(name, source.value ?? '', {
        abortSignal: signal,
        tags: { ...userTags(tags), [COPY_TAG]: logicalId },
        ...(source.properties.contentType === undefined ? {} : { contentType: source.properties.contentType }),
      }),
    );

  /** After `newCurrentLogicalId` became current: the old current becomes previous, the older previous loses it. */
  const rotatePrevious = async (name: string, oldLogicalId: string, newLogicalId: string, signal: AbortSignal): Promise<void> => {
    if (oldLogicalId === newLogicalId) return;
    const versions = (await listVersions(name, signal)) ?? [];
    for (const v of versions) {
      if (v.stage === 'previous' && v.id !== oldLogicalId) await setStage(name, v, null, signal);
    }
    const old = versions.find((v) => v.id === oldLogicalId);
    if (old !== undefined && old.stage !== 'previous') await setStage(name, old, 'previous', signal);
  };

  const versionView = (id: string, stages: Stage[], createdTime: string | null, enabled: boolean): ProviderVersion => ({ id, stages, createdTime, enabled });

  const stagesFor = (v: Pick<PhysicalVersion, 'logicalId' | 'stage'>, currentLogicalId: string | null): Stage[] => {
    const stages: Stage[] = [];
    if (v.logicalId === currentLogicalId) stages.push('current');
    else if (v.stage === 'pending' || v.stage === 'previous') stages.push(v.stage);
    return stages;
  };

  /** Reads the newest enabled version holding a stage tag. */
  const readTagged = async (name: string, stage: 'pending' | 'previous', signal: AbortSignal): Promise<ReadResult | null> => {
    const versions = await listVersions(name, signal);
    const tagged = versions?.find((v) => v.stage === stage && v.enabled && !v.carrier);
    if (tagged === undefined) return null;
    const secret = await getSecret(name, tagged.id, signal).catch((err: unknown) => {
      if (isKind(err, 'conflict')) return null;
      throw err;
    });
    if (secret === null) return null;
    return { value: decodeValue(secret), version: versionView(tagged.id, [stage], tagged.createdTime, true), etag: null };
  };

  /** Polls an SDK long-running operation until it is done, within `maxPolls`. */
  const settle = async (poller: { isDone(): boolean; poll(options?: { abortSignal?: AbortSignal }): Promise<void> }, signal: AbortSignal): Promise<boolean> => {
    for (let i = 0; i < maxPolls && !poller.isDone(); i++) {
      await pause(pollIntervalMs, signal);
      await call(signal, () => poller.poll({ abortSignal: signal }));
    }
    return poller.isDone();
  };

  const purge = async (name: string, signal: AbortSignal): Promise<void> => {
    for (let i = 0; ; i++) {
      try {
        await call(signal, () => client.purgeDeletedSecret(name, { abortSignal: signal }));
        return;
      } catch (err) {
        // 409 ObjectIsBeingDeleted: the soft delete has not settled yet.
        if (!(err instanceof ProviderError && err.kind === 'conflict' && err.options.retryable === true && i < maxPolls)) throw err;
        await pause(pollIntervalMs, signal);
      }
    }
  };

  return {
    type: AZURE_KEY_VAULT_TYPE,
    capabilities: { binary: true, recoverableDelete: true, destroyVersion: false, atomicConditionalWrite: false },

    async validate(signal) {
      const pages = client.listPropertiesOfSecrets({ abortSignal: signal }).byPage({ maxPageSize: 1 });
      await call(signal, () => pages.next());
    },

    async read(name, selector: VersionSelector, signal) {
      if ('versionId' in selector) {
        if (!VERSION_ID.test(selector.versionId)) return null;
        const secret = await getSecret(name, selector.versionId, signal).catch((err: unknown) => {
          if (isKind(err, 'conflict')) return null; // 403 SecretDisabled
          throw err;
        });
        if (secret === null) return null;
        const v = physicalOf(secret.properties);
        if (v === null) return null;
        const current = await currentOf(name, signal);
        return { value: decodeValue(secret), version: versionView(v.logicalId, stagesFor(v, current?.logicalId ?? null), v.createdTime, true), etag: null };
      }
      if (selector.stage === 'current') {
        const current = await currentOf(name, signal);
        if (current === null) return null;
        return { value: decodeValue(current.secret), version: versionView(current.logicalId, ['current'], current.secret.properties.createdOn?.toISOString() ?? null, true), etag: null };
      }
      return readTagged(name, selector.stage, signal);
    },

    async describe(name, signal) {
      const versions = await listVersions(name, signal);
      if (versions === null) {
        const deleted = await call(signal, () => client.getDeletedSecret(name, { abortSignal: signal })).catch((err: unknown) => {
          if (isKind(err, 'not_found')) return null;
          throw err;
        });
        if (deleted === null) return null;
        const p = deleted.properties;
        const info: ProviderSecretInfo = {
          name,
          tags: userTags(p.tags),
          createdTime: p.createdOn?.toISOString() ?? null,
          updatedTime: p.updatedOn?.toISOString() ?? null,
          deleted: true,
          versions: [],
          etag: null,
        };
        return info;
      }
      const current = await currentOf(name, signal);
      const currentId = current?.logicalId ?? null;
      const logical = versions.filter((v) => !v.carrier);
      // Newest first; within Azure's one-second resolution, current first.
      logical.sort((a, b) => b.createdMs - a.createdMs || Number(b.logicalId === currentId) - Number(a.logicalId === currentId) || (a.id < b.id ? 1 : -1));
      const created = versions.reduce((min, v) => (v.createdMs > 0 && v.createdMs < min ? v.createdMs : min), Number.POSITIVE_INFINITY);
      const updated = versions.reduce((max, v) => Math.max(max, v.updatedMs), 0);
      return {
        name,
        tags: userTags(current?.secret.properties.tags),
        createdTime: Number.isFinite(created) ? new Date(created).toISOString() : null,
        updatedTime: updated > 0 ? new Date(updated).toISOString() : null,
        deleted: false,
        versions: logical.slice(0, MAX_DESCRIBED_VERSIONS).map((v) => versionView(v.id, stagesFor(v, currentId), v.createdTime, v.enabled)),
        etag: null,
      };
    },

    async create(name, value, tags, signal) {
      checkUserTags(tags);
      // Not atomic: Azure has no create-if-absent. Two creators racing both succeed (two versions).
      const existing = await getSecret(name, undefined, signal).catch((err: unknown) => {
        if (isKind(err, 'conflict')) return 'disabled' as const; // exists, newest version disabled
        throw err;
      });
      if (existing !== null) throw azureProviderError('conflict', 'a secret with this name already exists in Azure Key Vault');
      const { text, contentType } = encodeValue(value);
      const written = await call(signal, () => client.setSecret(name, text, { abortSignal: signal, tags: { ...tags }, ...(contentType === undefined ? {} : { contentType }) }));
      return versionView(written.properties.version ?? '', ['current'], written.properties.createdOn?.toISOString() ?? null, true);
    },

    async addVersion(name, value, opts, signal) {
      const current = await requireCurrent(name, signal);
      // Compared before writing; not atomic (Azure has no conditional write for secrets).
      if (opts.expectCurrent !== undefined && opts.expectCurrent !== current.logicalId) {
        throw azureProviderError('precondition_failed');
      }
      const tags = userTags(current.secret.properties.tags);
      const { text, contentType } = encodeValue(value);
      const ct = contentType === undefined ? {} : { contentType };
      if (opts.stage === 'current') {
        const written = await call(signal, () => client.setSecret(name, text, { abortSignal: signal, tags, ...ct }));
        const id = written.properties.version ?? '';
        await rotatePrevious(name, current.logicalId, id, signal);
        return versionView(id, ['current'], written.properties.createdOn?.toISOString() ?? null, true);
      }
      // Pending: at most one. Older pending versions are discarded first.
      const versions = (await listVersions(name, signal)) ?? [];
      for (const v of versions) {
        if (v.stage === 'pending' && !v.carrier) await setStage(name, v, 'discarded', signal, false);
      }
      const pending = await call(signal, () => client.setSecret(name, text, { abortSignal: signal, tags: { ...tags, [STAGE_TAG]: 'pending' }, ...ct }));
      // The current value goes back on top, so plain Azure readers keep getting it.
      await writeCarrier(name, current.secret, current.logicalId, current.secret.properties.tags ?? {}, signal);
      return versionView(pending.properties.version ?? '', ['pending'], pending.properties.createdOn?.toISOString() ?? null, true);
    },

    async promote(name, versionId, signal) {
      if (!VERSION_ID.test(versionId)) throw azureProviderError('not_found');
      const current = await requireCurrent(name, signal);
      const versions = (await listVersions(name, signal)) ?? [];
      const target = versions.find((v) => v.id === versionId);
      if (target === undefined) throw azureProviderError('not_found');
      if (current.logicalId !== versionId) {
        const source = await getSecret(name, versionId, signal);
        if (source === null) throw azureProviderError('not_found');
        await writeCarrier(name, source, versionId, current.secret.properties.tags ?? {}, signal);
      }
      // Resuming an interrupted promotion lands here too: the carrier is written, tags may lag.
      if (target.stage !== null) await setStage(name, target, null, signal);
      await rotatePrevious(name, current.logicalId, versionId, signal);
    },

    async discardPending(name, versionId, signal) {
      if (!VERSION_ID.test(versionId)) throw azureProviderError('not_found');
      const versions = await listVersions(name, signal);
      if (versions === null) return missing(name, signal);
      const target = versions.find((v) => v.id === versionId);
      if (target === undefined) throw azureProviderError('not_found');
      const current = await currentOf(name, signal);
      if (current?.logicalId === versionId) {
        if (target.stage === 'pending') await setStage(name, target, null, signal);
        return;
      }
      await setStage(name, target, 'discarded', signal, false);
      // Only after an interrupted addVersion is the pending version Azure's newest: put current back on top.
      const after = await currentOf(name, signal);
      if (after?.repaired === true) await writeCarrier(name, after.secret, after.logicalId, after.secret.properties.tags ?? {}, signal);
    },

    async delete(name, opts, signal) {
      let started = true;
      try {
        const poller = await call(signal, () => client.beginDeleteSecret(name, { abortSignal: signal, intervalInMs: pollIntervalMs }));
        const done = await settle(poller, signal);
        if (!done && opts.force) throw azureProviderError('unavailable', 'Azure Key Vault did not finish the deletion in time');
      } catch (err) {
        // Already soft-deleted: a forced delete purges it; a plain one has nothing to do but say so.
        if (!isKind(err, 'not_found')) throw err;
        started = false;
      }
      if (!started) {
        const deleted = await call(signal, () => client.getDeletedSecret(name, { abortSignal: signal })).catch((err: unknown) => {
          if (isKind(err, 'not_found')) return null;
          throw err;
        });
        if (deleted === null || !opts.force) throw azureProviderError(deleted === null ? 'not_found' : 'deleted');
      }
      if (opts.force) await purge(name, signal);
    },

    async restore(name, signal) {
      const poller = await call(signal, () => client.beginRecoverDeletedSecret(name, { abortSignal: signal, intervalInMs: pollIntervalMs }));
      if (!(await settle(poller, signal))) throw azureProviderError('unavailable', 'Azure Key Vault did not finish the recovery in time');
    },

    async list(opts, signal) {
      const cursor = opts.pageToken === undefined ? { q: null, s: 0 } : decodeCursor(opts.pageToken);
      const pageSize = Math.max(1, Math.min(opts.pageSize, 1000));
      const names: string[] = [];
      let query = cursor.q;
      let skip = cursor.s;
      for (let pages = 0; pages < MAX_PAGES_PER_LIST; pages++) {
        const iterator =
          query === null
            ? client.listPropertiesOfSecrets({ abortSignal: signal }).byPage({ maxPageSize: AZURE_PAGE })
            : client.listPropertiesOfSecrets({ abortSignal: signal }).byPage({ continuationToken: `${vaultUrl}/secrets?${query}` });
        const capture: LinkCapture = { nextLink: undefined };
        const page = await links.run(capture, () => call(signal, () => iterator.next()));
        if (page.done === true) return { names };
        const items = page.value;
        const next = capture.nextLink;
        for (let i = skip; i < items.length; i++) {
          const itemName = items[i]?.name ?? '';
          if (itemName.startsWith(opts.prefix)) names.push(itemName);
          if (names.length >= pageSize) {
            const more = i + 1 < items.length || (next !== undefined && next !== '');
            return more ? { names, nextPageToken: encodeCursor(i + 1 < items.length ? { q: query, s: i + 1 } : { q: queryOf(next), s: 0 }) } : { names };
          }
        }
        const nextQuery = queryOf(next);
        if (nextQuery === null) return { names };
        query = nextQuery;
        skip = 0;
      }
      return { names, nextPageToken: encodeCursor({ q: query, s: skip }) };
    },

    async putTags(name, tags, signal) {
      checkUserTags(tags);
      const current = await requireCurrent(name, signal);
      await setTags(name, current.physicalId, { ...(current.secret.properties.tags ?? {}), ...tags }, signal);
    },

    async removeTags(name, keys, signal) {
      checkUserTags(keys);
      const current = await requireCurrent(name, signal);
      const tags: Record<string, string> = { ...(current.secret.properties.tags ?? {}) };
      for (const k of keys) delete tags[k];
      await setTags(name, current.physicalId, tags, signal);
    },
  };
}

/** The query of an Azure `nextLink`, reduced to the parameters Keygate passes back. */
function queryOf(link: string | undefined): string | null {
  if (link === undefined || link === '') return null;
  try {
    return sanitiseQuery(new URL(link).search);
  } catch {
    return null;
  }
}
