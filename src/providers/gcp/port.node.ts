/**
 * The `gcp-secret-manager` port: Keygate's `SecretProvider` over Google's
 * `SecretManagerServiceClient` (docs/providers/gcp.md).
 *
 * - Stages are the secret's version aliases `current`, `pending`, `previous`; every alias
 *   move is one `UpdateSecret` carrying the etag of the secret as it was read, so it applies
 *   to exactly the state it was computed from or fails (`precondition_failed`).
 * - The library's own retries are off (`retry: null` on every call): Keygate's resilience
 *   middleware retries. An aborted `signal` cancels the gRPC call itself (an interceptor
 *   calls `cancelWithStatus`), not just the wait for it.
 * - Errors are sanitised in `errors.ts`: Google's messages name projects and resources.
 */

import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import type { protos } from '@google-cloud/secret-manager';
import type { Interceptor } from '@grpc/grpc-js';
import { cancelOnAbort, gcpClientOptions } from '../../cloud/gcp/client.node.js';
import { crc32c } from '../../cloud/gcp/index.js';
import { Sensitive, fromBase64, fromUtf8, utf8 } from '../../core/index.js';
import type { Runtime } from '../../core/index.js';
import { ProviderError } from '../types.js';
import type { ProviderSecretInfo, ProviderValue, ProviderVersion, ReadResult, SecretProvider, Stage, VersionSelector } from '../types.js';
import { GRPC_STATUS, grpcCode, toProviderError } from './errors.js';
import {
  ANNOTATIONS_MAX_BYTES,
  BINARY_ANNOTATION,
  aliasesForCurrent,
  aliasesForPending,
  aliasesWithout,
  annotationsSize,
  applyTags,
  binaryVersions,
  normaliseAliases,
  sameAliases,
  stagesByVersion,
  tagsFromCloud,
  versionNumber,
  withBinaryMark,
} from './metadata.js';
import type { GcpSecretManagerOptions } from './options.js';

type Secret = protos.google.cloud.secretmanager.v1.ISecret;
type SecretVersion = protos.google.cloud.secretmanager.v1.ISecretVersion;
type Timestamp = protos.google.protobuf.ITimestamp;

/** Google's payload limit (`SecretPayload.data`: "no larger than 64KiB"). */
export const GCP_MAX_PAYLOAD_BYTES = 64 * 1024;
/** How many versions `describe` returns (newest first). */
const VERSIONS_PAGE = 100;
/** Attempts of an unconditional alias or tag update that meets a concurrent change (etag mismatch). */
const UPDATE_ATTEMPTS = 3;

const SECRET_ID = /^[A-Za-z0-9_-]{1,255}$/;

/** Failures after which a call certainly changed nothing in GCP. */
const NOT_APPLIED: ReadonlySet<string> = new Set(['precondition_failed', 'throttled', 'invalid', 'unauthorized', 'not_found', 'conflict']);

/** Per-call options: no library retries, and the cancelling interceptor. */
interface CallOptions {
  retry: null;
  autoPaginate?: boolean;
  otherArgs: { options: { interceptors: Interceptor[] } };
}

/** What Keygate computes from a secret for one `UpdateSecret`; null when nothing needs to change. */
type SecretChange = { aliases?: Record<string, string>; labels?: Record<string, string>; annotations?: Record<string, string> } | null;

const bareEtag = (etag: string | null | undefined): string | null => {
  if (etag === null || etag === undefined || etag === '') return null;
  return etag.length >= 2 && etag.startsWith('"') && etag.endsWith('"') ? etag.slice(1, -1) : etag;
};

const rfc3339 = (t: Timestamp | null | undefined): string | null => {
  if (t === null || t === undefined) return null;
  const seconds = Number(t.seconds ?? 0);
  const nanos = Number(t.nanos ?? 0);
  if (!Number.isFinite(seconds) || seconds <= 0) return null;
  return new Date(seconds * 1000 + Math.floor(nanos / 1e6)).toISOString();
};

const lastSegment = (name: string | null | undefined): string => (name ?? '').split('/').pop() ?? '';

const stringMap = (m: Record<string, string> | null | undefined): Record<string, string> => ({ ...(m ?? {}) });

const valueBytes = (value: ProviderValue): Uint8Array => (value.kind === 'text' ? utf8(value.text.reveal()) : value.bytes.reveal());

/**
 * A `SecretProvider` for one project of GCP Secret Manager. Builds no client and opens no
 * connection until the first call; `close()` releases the channel.
 */
export function createGcpSecretManagerPort(options: GcpSecretManagerOptions, deps: { runtime: Runtime }): SecretProvider {
  const logger = deps.runtime.logger.child({ provider: 'gcp-secret-manager' });
  const parent = `projects/${options.project}`;
  let client: SecretManagerServiceClient | null = null;

  const sdk = (): SecretManagerServiceClient => (client ??= new SecretManagerServiceClient(gcpClientOptions(options)));

  const secretPath = (name: string): string => {
    if (!SECRET_ID.test(name)) throw new ProviderError('invalid', 'the name is not a valid GCP secret id ([a-zA-Z0-9_-]{1,255})');
    return `${parent}/secrets/${name}`;
  };
  const versionPath = (name: string, version: string): string => `${secretPath(name)}/versions/${version}`;

  /** Runs one SDK call with retries off, cancelled when `signal` aborts, errors sanitised. */
  async function call<T>(signal: AbortSignal, invoke: (opts: CallOptions) => Promise<T>, extra: { autoPaginate?: boolean } = {}): Promise<T> {
    if (signal.aborted) throw new ProviderError('timeout', 'the GCP Secret Manager call was cancelled before it started');
    const { interceptor, release } = cancelOnAbort(signal);
    try {
      return await invoke({ retry: null, ...extra, otherArgs: { options: { interceptors: [interceptor] } } });
    } catch (err) {
      throw toProviderError(err);
    } finally {
      release();
    }
  }

  const getSecret = (name: string, signal: AbortSignal): Promise<Secret> => call(signal, (o) => sdk().getSecret({ name: secretPath(name) }, o)).then(([s]) => s);

  const getSecretOrNull = async (name: string, signal: AbortSignal): Promise<Secret | null> => {
    try {
      return await getSecret(name, signal);
    } catch (err) {
      if (err instanceof ProviderError && err.kind === 'not_found') return null;
      throw err;
    }
  };

  const getVersion = (name: string, version: string, signal: AbortSignal): Promise<SecretVersion> =>
    call(signal, (o) => sdk().getSecretVersion({ name: versionPath(name, version) }, o)).then(([v]) => v);

  /** The payload of a version; null when it does not exist or is not ENABLED (GCP: NOT_FOUND / FAILED_PRECONDITION). */
  const access = async (name: string, version: string, signal: AbortSignal): Promise<{ id: string; data: Uint8Array } | null> => {
    let response: protos.google.cloud.secretmanager.v1.IAccessSecretVersionResponse;
    try {
      [response] = await call(signal, (o) => sdk().accessSecretVersion({ name: versionPath(name, version) }, o));
    } catch (err) {
      const code = grpcCode(err);
      if (code === GRPC_STATUS.NOT_FOUND || code === GRPC_STATUS.FAILED_PRECONDITION) return null;
      throw err;
    }
    const raw = response.payload?.data;
    const data = typeof raw === 'string' ? fromBase64(raw) : raw instanceof Uint8Array ? new Uint8Array(raw) : new Uint8Array(0);
    if (data === null) throw new ProviderError('unavailable', 'GCP Secret Manager returned a payload Keygate could not decode');
    const sum = response.payload?.dataCrc32c;
    // Versions written before checksums existed have none; every other payload must match its CRC32C.
    if (sum !== null && sum !== undefined && String(sum) !== String(crc32c(data))) {
      throw new ProviderError('unavailable', 'a GCP Secret Manager payload failed its CRC32C integrity check', { retryable: true });
    }
    return { id: lastSegment(response.name), data };
  };

  const addSecretVersion = async (name: string, value: ProviderValue, signal: AbortSignal): Promise<SecretVersion> => {
    const data = valueBytes(value);
    if (data.length > GCP_MAX_PAYLOAD_BYTES) throw new ProviderError('invalid', 'the value is larger than GCP Secret Manager allows (64 KiB)');
    const [version] = await call(signal, (o) => sdk().addSecretVersion({ parent: secretPath(name), payload: { data, dataCrc32c: crc32c(data) } }, o));
    return version;
  };

  /**
   * One read-modify-write of the secret, conditional on its etag. `attempts` > 1 re-reads and
   * recomputes after an etag mismatch (a concurrent change): used where the result is well
   * defined whatever happened in between. `start` is a secret already read.
   */
  const updateSecret = async (name: string, signal: AbortSignal, compute: (secret: Secret) => SecretChange, opts: { attempts: number; start?: Secret }): Promise<Secret> => {
    let secret = opts.start ?? (await getSecret(name, signal));
    for (let attempt = 1; ; attempt++) {
      const change = compute(secret);
      if (change === null) return secret;
      const paths: string[] = [];
      const body: Secret = { name: secretPath(name), etag: secret.etag ?? '' };
      if (change.aliases !== undefined) {
        paths.push('version_aliases');
        body.versionAliases = Object.fromEntries(Object.entries(change.aliases).map(([k, v]) => [k, Number(v)]));
      }
      if (change.labels !== undefined) {
        paths.push('labels');
        body.labels = change.labels;
      }
      if (change.annotations !== undefined) {
        if (annotationsSize(change.annotations) >= ANNOTATIONS_MAX_BYTES) {
          throw new ProviderError('invalid', 'the tags do not fit in GCP Secret Manager annotations (16 KiB in all)');
        }
        paths.push('annotations');
        body.annotations = change.annotations;
      }
      try {
        const [updated] = await call(signal, (o) => sdk().updateSecret({ secret: body, updateMask: { paths } }, o));
        return updated;
      } catch (err) {
        if (!(err instanceof ProviderError && err.kind === 'precondition_failed') || attempt >= opts.attempts) throw err;
        secret = await getSecret(name, signal);
      }
    }
  };

  /** The version `current` means on a secret: its alias, else (a secret Keygate did not create) `latest`. */
  const currentOf = async (name: string, aliases: Record<string, string>, signal: AbortSignal): Promise<string | null> => {
    if (aliases.current !== undefined) return aliases.current;
    try {
      const latest = await getVersion(name, 'latest', signal);
      return latest.state === 'ENABLED' ? lastSegment(latest.name) : null;
    } catch (err) {
      if (err instanceof ProviderError && err.kind === 'not_found') return null;
      throw err;
    }
  };

  /**
   * Aliases with `current` filled in for a secret Keygate did not create (no `current` alias):
   * its `latest` version, as read before the change, so the first move also sets `previous`.
   */
  const withImplicitCurrent = (aliases: Record<string, string>, implicit: string | null): Record<string, string> =>
    aliases.current === undefined && implicit !== null ? { ...aliases, current: implicit } : aliases;

  const toVersion = (v: SecretVersion, stages: Stage[]): ProviderVersion => ({
    id: lastSegment(v.name),
    stages,
    createdTime: rfc3339(v.createTime),
    enabled: v.state === 'ENABLED',
  });

  /** Best effort: a version that lost its alias race is disabled so nothing reads it by accident. */
  const disableQuietly = async (name: string, id: string, signal: AbortSignal): Promise<void> => {
    try {
      await call(signal, (o) => sdk().disableSecretVersion({ name: versionPath(name, id) }, o));
    } catch (err) {
      logger.warn({ kind: err instanceof ProviderError ? err.kind : 'unknown' }, 'could not disable a GCP secret version left without a stage');
    }
  };

  return {
    type: 'gcp-secret-manager',
    capabilities: { binary: true, recoverableDelete: false, destroyVersion: true, atomicConditionalWrite: true },

    async validate(signal) {
      await call(signal, (o) => sdk().listSecrets({ parent, pageSize: 1 }, o), { autoPaginate: false });
    },

    async read(name, selector: VersionSelector, signal): Promise<ReadResult | null> {
      const secret = await getSecretOrNull(name, signal);
      if (secret === null) return null;
      const aliases = normaliseAliases(secret.versionAliases);
      let ref: string;
      if ('versionId' in selector) {
        const n = versionNumber(selector.versionId);
        if (n === null) return null;
        ref = n;
      } else {
        const id = aliases[selector.stage];
        if (id !== undefined) ref = id;
        else if (selector.stage === 'current' && aliases.current === undefined) ref = 'latest';
        else return null;
      }
      // The value is read by number where possible, so it matches the aliases (and etag) just read.
      const [payload, meta] = await Promise.all([access(name, ref, signal), getVersion(name, ref, signal).catch(() => null)]);
      if (payload === null) return null;
      const version = meta !== null && lastSegment(meta.name) === payload.id ? meta : await getVersion(name, payload.id, signal);
      const stages = stagesByVersion(aliases).get(payload.id) ?? [];
      if (aliases.current === undefined && (ref === 'latest' || (await currentOf(name, aliases, signal)) === payload.id)) stages.push('current');
      const binary = binaryVersions(secret.annotations).has(payload.id);
      let value: ProviderValue;
      if (binary) value = { kind: 'binary', bytes: new Sensitive(payload.data) };
      else {
        try {
          value = { kind: 'text', text: new Sensitive(fromUtf8(payload.data)) };
        } catch {
          value = { kind: 'binary', bytes: new Sensitive(payload.data) };
        }
      }
      return { value, version: toVersion(version, [...new Set(stages)].sort()), etag: bareEtag(secret.etag) };
    },

    async describe(name, signal): Promise<ProviderSecretInfo | null> {
      const secret = await getSecretOrNull(name, signal);
      if (secret === null) return null;
      let versions: SecretVersion[];
      try {
        [versions] = await call(signal, (o) => sdk().listSecretVersions({ parent: secretPath(name), pageSize: VERSIONS_PAGE }, o), { autoPaginate: false });
      } catch (err) {
        if (err instanceof ProviderError && err.kind === 'not_found') return null;
        throw err;
      }
      const aliases = normaliseAliases(secret.versionAliases);
      const byVersion = stagesByVersion(aliases);
      // A secret Keygate did not create has no aliases: its newest version, if enabled, is current (as `latest`).
      const newest = versions[0];
      if (aliases.current === undefined && newest !== undefined && newest.state === 'ENABLED') {
        const id = lastSegment(newest.name);
        byVersion.set(id, [...(byVersion.get(id) ?? []), 'current' as const].sort());
      }
      return {
        name,
        tags: tagsFromCloud(secret.labels, secret.annotations),
        createdTime: rfc3339(secret.createTime),
        // Secret Manager has no update time on the secret; its newest version is the last change to the value.
        updatedTime: rfc3339(newest?.createTime) ?? rfc3339(secret.createTime),
        deleted: false,
        versions: versions.map((v) => toVersion(v, byVersion.get(lastSegment(v.name)) ?? [])),
        etag: bareEtag(secret.etag),
      };
    },

    async create(name, value, tags, signal) {
      const { labels, annotations } = applyTags({ labels: {}, annotations: {} }, tags);
      if (annotationsSize(annotations) >= ANNOTATIONS_MAX_BYTES) throw new ProviderError('invalid', 'the tags do not fit in GCP Secret Manager annotations (16 KiB in all)');
      if (valueBytes(value).length > GCP_MAX_PAYLOAD_BYTES) throw new ProviderError('invalid', 'the value is larger than GCP Secret Manager allows (64 KiB)');
      const replication =
        options.replication === 'automatic' ? { automatic: {} } : { userManaged: { replicas: options.replication.user_managed.map((location) => ({ location })) } };
      secretPath(name);
      const [created] = await call(signal, (o) => sdk().createSecret({ parent, secretId: name, secret: { replication, labels, annotations } }, o));
      const version = await addSecretVersion(name, value, signal);
      const id = lastSegment(version.name);
      // Until this lands, `current` reads fall back to `latest`, which is this version.
      await updateSecret(
        name,
        signal,
        (s) => ({ aliases: aliasesForCurrent(normaliseAliases(s.versionAliases), id), annotations: withBinaryMark(stringMap(s.annotations), id, value.kind === 'binary') }),
        { attempts: UPDATE_ATTEMPTS, start: created },
      );
      return toVersion(version, ['current']);
    },

    async addVersion(name, value, opts, signal) {
      const secret = await getSecret(name, signal);
      const aliases = normaliseAliases(secret.versionAliases);
      const implicit = aliases.current === undefined ? await currentOf(name, aliases, signal) : null;
      const expected = opts.expectCurrent;
      if (expected !== undefined) {
        const asVersion = versionNumber(expected);
        if (asVersion !== null) {
          if ((aliases.current ?? implicit) !== asVersion) throw new ProviderError('precondition_failed', 'the current version is not the expected one');
        } else if (bareEtag(expected) !== bareEtag(secret.etag)) {
          throw new ProviderError('precondition_failed', 'the secret changed since the given etag');
        }
      }
      const version = await addSecretVersion(name, value, signal);
      const id = lastSegment(version.name);
      try {
        await updateSecret(
          name,
          signal,
          (s) => {
            const a = withImplicitCurrent(normaliseAliases(s.versionAliases), implicit);
            return {
              aliases: opts.stage === 'current' ? aliasesForCurrent(a, id) : aliasesForPending(a, id),
              annotations: withBinaryMark(stringMap(s.annotations), id, value.kind === 'binary'),
            };
          },
          // With an expectation, the alias move must apply to the very state that was checked.
          { attempts: expected === undefined ? UPDATE_ATTEMPTS : 1, start: secret },
        );
      } catch (err) {
        // The alias move surely did not apply (refused, not merely unanswered): leave the
        // unaliased version disabled. After a timeout or UNAVAILABLE it may have applied, so
        // the version is left alone rather than risk disabling the new current.
        if (err instanceof ProviderError && NOT_APPLIED.has(err.kind) && !signal.aborted) await disableQuietly(name, id, signal);
        throw err;
      }
      return toVersion(version, [opts.stage]);
    },

    async promote(name, versionId, signal) {
      const id = versionNumber(versionId);
      if (id === null) throw new ProviderError('not_found', 'no such version');
      const version = await getVersion(name, id, signal);
      if (version.state === 'DESTROYED') throw new ProviderError('not_found', 'the version is destroyed');
      if (version.state === 'DISABLED') await call(signal, (o) => sdk().enableSecretVersion({ name: versionPath(name, id) }, o));
      const secret = await getSecret(name, signal);
      const implicit = normaliseAliases(secret.versionAliases).current === undefined ? await currentOf(name, {}, signal) : null;
      await updateSecret(
        name,
        signal,
        (s) => {
          const before = normaliseAliases(s.versionAliases);
          const after = aliasesForCurrent(withImplicitCurrent(before, implicit), id);
          return sameAliases(before, after) ? null : { aliases: after };
        },
        { attempts: UPDATE_ATTEMPTS, start: secret },
      );
    },

    async discardPending(name, versionId, signal) {
      const id = versionNumber(versionId);
      if (id === null) throw new ProviderError('not_found', 'no such version');
      const secret = await updateSecret(
        name,
        signal,
        (s) => {
          const before = normaliseAliases(s.versionAliases);
          const after = aliasesWithout(before, id, ['pending']);
          return sameAliases(before, after) ? null : { aliases: after };
        },
        { attempts: UPDATE_ATTEMPTS },
      );
      if (normaliseAliases(secret.versionAliases).current === id) return;
      try {
        await call(signal, (o) => sdk().disableSecretVersion({ name: versionPath(name, id) }, o));
      } catch (err) {
        // Already destroyed: nothing left to disable.
        if (!(err instanceof ProviderError && err.kind === 'precondition_failed')) throw err;
      }
    },

    async delete(name, _opts, signal) {
      // GCP has no soft delete: this is permanent whatever `force` says. The provider engine
      // refuses a delete without `force` unless the mount allows permanent deletes
      // (`capabilities.recoverableDelete` is false).
      await call(signal, (o) => sdk().deleteSecret({ name: secretPath(name) }, o));
    },

    async restore() {
      throw new ProviderError('invalid', 'GCP Secret Manager deletes are permanent: there is nothing to restore');
    },

    async destroyVersion(name, versionId, signal) {
      const id = versionNumber(versionId);
      if (id === null) throw new ProviderError('not_found', 'no such version');
      // Drop the version's other stages first, under the etag; the current version is never destroyed.
      await updateSecret(
        name,
        signal,
        (s) => {
          const before = normaliseAliases(s.versionAliases);
          if (before.current === id) throw new ProviderError('invalid', 'the current version cannot be destroyed');
          const after = aliasesWithout(before, id);
          const annotations = stringMap(s.annotations);
          const unmarked = withBinaryMark(annotations, null, false, [id]);
          const aliasesChanged = !sameAliases(before, after);
          const marksChanged = annotations[BINARY_ANNOTATION] !== unmarked[BINARY_ANNOTATION];
          if (!aliasesChanged && !marksChanged) return null;
          return { ...(aliasesChanged ? { aliases: after } : {}), ...(marksChanged ? { annotations: unmarked } : {}) };
        },
        { attempts: UPDATE_ATTEMPTS },
      );
      try {
        await call(signal, (o) => sdk().destroySecretVersion({ name: versionPath(name, id) }, o));
      } catch (err) {
        // Destroying a destroyed version: already done.
        if (!(err instanceof ProviderError && err.kind === 'precondition_failed')) throw err;
      }
    },

    async list(opts, signal) {
      // `name:` is a substring match (docs/filtering), so the prefix is checked again here.
      const filter = opts.prefix === '' ? '' : `name:${opts.prefix}`;
      const [secrets, , raw] = await call(
        signal,
        (o) => sdk().listSecrets({ parent, pageSize: Math.min(Math.max(opts.pageSize, 1), 25_000), pageToken: opts.pageToken ?? '', filter }, o),
        { autoPaginate: false },
      );
      const names = secrets.map((s) => lastSegment(s.name)).filter((n) => n.startsWith(opts.prefix));
      const next = raw?.nextPageToken ?? '';
      return next === '' ? { names } : { names, nextPageToken: next };
    },

    async putTags(name, tags, signal) {
      await updateSecret(
        name,
        signal,
        (s) => ({ ...applyTags({ labels: stringMap(s.labels), annotations: stringMap(s.annotations) }, tags) }),
        { attempts: UPDATE_ATTEMPTS },
      );
    },

    async removeTags(name, keys, signal) {
      await updateSecret(
        name,
        signal,
        (s) => ({ ...applyTags({ labels: stringMap(s.labels), annotations: stringMap(s.annotations) }, {}, keys) }),
        { attempts: UPDATE_ATTEMPTS },
      );
    },

    async close() {
      const c = client;
      client = null;
      if (c !== null) await c.close();
    },
  };
}
