/**
 * The AWS Secrets Manager port: `SecretProvider` over `@aws-sdk/client-secrets-manager`.
 * The SDK's own retries are off (`maxAttempts: 1`): Keygate's resilience middleware retries,
 * with a budget and a circuit breaker, once for every provider. Every call passes the
 * caller's `AbortSignal` to the SDK's Node HTTP handler (which aborts the socket) and also
 * races it, so a call that is stuck before reaching the wire (credential resolution, say)
 * still returns when the signal fires.
 *
 * Stages: Keygate's `current` / `pending` / `previous` are AWS's `AWSCURRENT` / `AWSPENDING`
 * / `AWSPREVIOUS`; other labels are ignored. AWS moves `AWSPREVIOUS` itself whenever
 * `AWSCURRENT` moves. AWS has no compare-and-set: `expectCurrent` is checked just before the
 * write, which narrows the race but cannot close it (docs/providers/aws.md).
 */

import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { DescribeSecretResponse, SecretsManagerClientConfig, SecretVersionsListEntry, Tag } from '@aws-sdk/client-secrets-manager';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { awsClientSettings, awsStaticCredentials } from '../../cloud/aws/index.js';
import { Sensitive } from '../../core/index.js';
import type { Runtime } from '../../core/index.js';
import { ProviderError } from '../types.js';
import type { ProviderValue, ProviderVersion, SecretProvider, Stage } from '../types.js';
import { awsProviderError, toProviderError } from './errors.js';
import type { AwsOperation } from './errors.js';
import type { AwsSecretsManagerOptions } from './options.js';

/** The mount type. */
export const AWS_SECRETS_MANAGER_TYPE = 'aws-secrets-manager';

/** Versions `describe` returns at most (AWS keeps about 100 per secret). */
export const MAX_DESCRIBED_VERSIONS = 100;

/** Pages of ListSecretVersionIds read at most (100 each), so a secret with runaway versions cannot stall a describe. */
const MAX_VERSION_PAGES = 5;

/** Backstops under the caller's signal: time to connect, and to the whole answer. */
const CONNECTION_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 60_000;

const AWS_STAGE: Record<Stage, string> = { current: 'AWSCURRENT', pending: 'AWSPENDING', previous: 'AWSPREVIOUS' };
const KEYGATE_STAGE: Record<string, Stage> = { AWSCURRENT: 'current', AWSPENDING: 'pending', AWSPREVIOUS: 'previous' };

/** AWS version ids are 32 to 64 characters (Keygate writes UUIDs); anything else cannot name a version. */
const VERSION_ID = /^[A-Za-z0-9_-]{32,64}$/;

/** Keygate's stages among AWS's labels, in a fixed order. */
function stagesOf(labels: readonly string[] | undefined): Stage[] {
  const out: Stage[] = [];
  for (const label of labels ?? []) {
    const stage = KEYGATE_STAGE[label];
    if (stage !== undefined && !out.includes(stage)) out.push(stage);
  }
  return out.sort();
}

const isoOrNull = (date: Date | undefined): string | null => (date instanceof Date && !Number.isNaN(date.getTime()) ? date.toISOString() : null);

/** The version holding `label`, from DescribeSecret's `VersionIdsToStages`. */
function holderOf(described: DescribeSecretResponse, label: string): string | undefined {
  for (const [id, labels] of Object.entries(described.VersionIdsToStages ?? {})) {
    if (labels.includes(label)) return id;
  }
  return undefined;
}

function valueFields(value: ProviderValue): { SecretString: string } | { SecretBinary: Uint8Array } {
  return value.kind === 'text' ? { SecretString: value.text.reveal() } : { SecretBinary: value.bytes.reveal() };
}

function tagList(tags: Record<string, string>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

function tagRecord(tags: readonly Tag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key !== undefined) out[tag.Key] = tag.Value ?? '';
  return out;
}

/** SDK client settings from the mount options. Exported for tests; builds nothing and calls nothing. */
export function awsClientConfig(options: AwsSecretsManagerOptions): SecretsManagerClientConfig {
  const limits = { maxAttempts: 1, connectionTimeoutMs: CONNECTION_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS };
  const explicit = awsStaticCredentials(options.credentials?.access_key_id, options.credentials?.secret_access_key, options.credentials?.session_token);
  const role = options.assume_role;
  // The SDK memoises whatever provider it is given and calls it again 5 minutes before the
  // credentials it returned expire, so assumed-role credentials are refreshed before expiry.
  const credentials =
    role === undefined
      ? explicit
      : fromTemporaryCredentials({
          params: {
            RoleArn: role.role_arn,
            RoleSessionName: role.session_name,
            DurationSeconds: role.duration,
            ...(role.external_id === undefined ? {} : { ExternalId: role.external_id }),
          },
          ...(explicit === undefined ? {} : { masterCredentials: explicit }),
          clientConfig: awsClientSettings({ ...limits, region: options.region, endpoint: role.sts_endpoint }),
        });
  return awsClientSettings({ ...limits, region: options.region, endpoint: options.endpoint, credentials });
}

/**
 * Builds the port. Makes no network call (the first one is `validate` or a request); the SDK
 * resolves region, endpoint and default credentials lazily from the environment.
 * Methods throw `ProviderError` only, with Keygate's own messages (see `errors.ts`).
 */
export function createAwsSecretsManagerPort(options: AwsSecretsManagerOptions, deps: { runtime: Pick<Runtime, 'now' | 'randomUUID'> }): SecretProvider {
  const { runtime } = deps;
  const client = new SecretsManagerClient(awsClientConfig(options));

  const call = async <T>(operation: AwsOperation, signal: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    if (signal.aborted) throw toProviderError(signal.reason, operation, { signal });
    let onAbort = (): void => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(toProviderError(signal.reason, operation, { signal }));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([fn(signal), aborted]);
    } catch (err) {
      throw toProviderError(err, operation, { signal, now: runtime.now() });
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  };

  /** DescribeSecret; `ProviderError('not_found')` when the secret does not exist. */
  const describeSecret = (name: string, signal: AbortSignal) =>
    call('DescribeSecret', signal, (s) => client.send(new DescribeSecretCommand({ SecretId: name }), { abortSignal: s }));

  /** A secret that exists and is not scheduled for deletion, else `not_found` / `deleted`. */
  const describeLive = async (name: string, signal: AbortSignal, operation: AwsOperation): Promise<DescribeSecretResponse> => {
    const described = await describeSecret(name, signal);
    if (described.DeletedDate !== undefined) throw awsProviderError('deleted', operation);
    return described;
  };

  /** Every version AWS lists (deprecated ones included), bounded by `MAX_VERSION_PAGES`. */
  const listVersions = async (name: string, signal: AbortSignal): Promise<SecretVersionsListEntry[]> => {
    const entries: SecretVersionsListEntry[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_VERSION_PAGES; page++) {
      const out = await call('ListSecretVersionIds', signal, (s) =>
        client.send(new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true, MaxResults: 100, ...(token === undefined ? {} : { NextToken: token }) }), { abortSignal: s }),
      );
      entries.push(...(out.Versions ?? []));
      token = out.NextToken === undefined || out.NextToken === '' ? undefined : out.NextToken;
      if (token === undefined) break;
    }
    return entries;
  };

  const versionExists = async (name: string, versionId: string, signal: AbortSignal): Promise<boolean> =>
    (await listVersions(name, signal)).some((v) => v.VersionId === versionId);

  const notFoundVersion = () => awsProviderError('not_found', 'UpdateSecretVersionStage', 'AWS Secrets Manager has no such version of the secret');

  const moveStage = (name: string, label: string, move: { to?: string; from?: string }, signal: AbortSignal) =>
    call('UpdateSecretVersionStage', signal, (s) =>
      client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: name,
          VersionStage: label,
          ...(move.to === undefined ? {} : { MoveToVersionId: move.to }),
          ...(move.from === undefined ? {} : { RemoveFromVersionId: move.from }),
        }),
        { abortSignal: s },
      ),
    );

  return {
    type: AWS_SECRETS_MANAGER_TYPE,
    capabilities: { binary: true, recoverableDelete: true, destroyVersion: false, atomicConditionalWrite: false },

    async validate(signal) {
      await call('ListSecrets', signal, (s) => client.send(new ListSecretsCommand({ MaxResults: 1 }), { abortSignal: s }));
    },

    async read(name, selector, signal) {
      if ('versionId' in selector && !VERSION_ID.test(selector.versionId)) return null;
      let out;
      try {
        out = await call('GetSecretValue', signal, (s) =>
          client.send(
            new GetSecretValueCommand({
              SecretId: name,
              ...('versionId' in selector ? { VersionId: selector.versionId } : { VersionStage: AWS_STAGE[selector.stage] }),
            }),
            { abortSignal: s },
          ),
        );
      } catch (err) {
        // A secret scheduled for deletion reads as absent, like one that never existed.
        if (err instanceof ProviderError && (err.kind === 'not_found' || err.kind === 'deleted')) return null;
        throw err;
      }
      const value: ProviderValue =
        out.SecretBinary !== undefined && out.SecretString === undefined
          ? { kind: 'binary', bytes: new Sensitive(Uint8Array.from(out.SecretBinary)) }
          : { kind: 'text', text: new Sensitive(out.SecretString ?? '') };
      const id = out.VersionId ?? ('versionId' in selector ? selector.versionId : '');
      return { value, version: { id, stages: stagesOf(out.VersionStages), createdTime: isoOrNull(out.CreatedDate), enabled: true }, etag: null };
    },

    async describe(name, signal) {
      let described: DescribeSecretResponse;
      try {
        described = await describeSecret(name, signal);
      } catch (err) {
        if (err instanceof ProviderError && err.kind === 'not_found') return null;
        throw err;
      }
      const deleted = described.DeletedDate !== undefined;
      let versions: ProviderVersion[];
      if (deleted) {
        // Only the labelled versions are known without listing, which a deleted secret may refuse.
        versions = Object.entries(described.VersionIdsToStages ?? {}).map(([id, labels]) => ({ id, stages: stagesOf(labels), createdTime: null, enabled: true }));
      } else {
        let entries: SecretVersionsListEntry[];
        try {
          entries = await listVersions(name, signal);
        } catch (err) {
          if (err instanceof ProviderError && err.kind === 'not_found') return null;
          throw err;
        }
        // Newest first. AWS does not promise an order; among equal dates a later entry counts as newer.
        versions = entries
          .map((entry, index) => ({ entry, index, at: entry.CreatedDate?.getTime() ?? 0 }))
          .sort((a, b) => b.at - a.at || b.index - a.index)
          .slice(0, MAX_DESCRIBED_VERSIONS)
          .map(({ entry }) => ({ id: entry.VersionId ?? '', stages: stagesOf(entry.VersionStages), createdTime: isoOrNull(entry.CreatedDate), enabled: true }))
          .filter((v) => v.id !== '');
      }
      return {
        name: described.Name ?? name,
        tags: tagRecord(described.Tags),
        createdTime: isoOrNull(described.CreatedDate),
        updatedTime: isoOrNull(described.LastChangedDate),
        deleted,
        versions,
        etag: null,
      };
    },

    async create(name, value, tags, signal) {
      // The idempotency token is also the first version's id; the SDK would reuse it on its own retries.
      const token = runtime.randomUUID();
      const list = tagList(tags);
      const out = await call('CreateSecret', signal, (s) =>
        client.send(
          new CreateSecretCommand({
            Name: name,
            ClientRequestToken: token,
            ...valueFields(value),
            ...(list.length === 0 ? {} : { Tags: list }),
            ...(options.kms_key_id === undefined ? {} : { KmsKeyId: options.kms_key_id }),
          }),
          { abortSignal: s },
        ),
      );
      return { id: out.VersionId ?? token, stages: ['current'], createdTime: null, enabled: true };
    },

    async addVersion(name, value, opts, signal) {
      if (opts.expectCurrent !== undefined) {
        // Not atomic: AWS has no conditional write. This narrows the window to one round trip.
        const described = await describeLive(name, signal, 'PutSecretValue');
        if (holderOf(described, 'AWSCURRENT') !== opts.expectCurrent) {
          throw awsProviderError('precondition_failed', 'PutSecretValue');
        }
      }
      const token = runtime.randomUUID();
      const out = await call('PutSecretValue', signal, (s) =>
        client.send(new PutSecretValueCommand({ SecretId: name, ClientRequestToken: token, ...valueFields(value), VersionStages: [AWS_STAGE[opts.stage]] }), {
          abortSignal: s,
        }),
      );
      const stages = stagesOf(out.VersionStages);
      return { id: out.VersionId ?? token, stages: stages.length === 0 ? [opts.stage] : stages, createdTime: null, enabled: true };
    },

    async promote(name, versionId, signal) {
      if (!VERSION_ID.test(versionId)) throw notFoundVersion();
      const described = await describeLive(name, signal, 'UpdateSecretVersionStage');
      const current = holderOf(described, 'AWSCURRENT');
      if (current !== versionId) {
        try {
          // AWS moves AWSPREVIOUS to the version AWSCURRENT leaves.
          await moveStage(name, 'AWSCURRENT', { to: versionId, ...(current === undefined ? {} : { from: current }) }, signal);
        } catch (err) {
          if (err instanceof ProviderError && err.kind === 'invalid' && !(await versionExists(name, versionId, signal))) throw notFoundVersion();
          throw err;
        }
      }
      // Second step, so a crash between the two leaves one current (plus a stale pending label, which a rerun removes).
      const pending = holderOf(described, 'AWSPENDING');
      if (pending !== undefined) await moveStage(name, 'AWSPENDING', { from: pending }, signal);
    },

    async discardPending(name, versionId, signal) {
      if (!VERSION_ID.test(versionId)) throw notFoundVersion();
      const described = await describeLive(name, signal, 'UpdateSecretVersionStage');
      const labels = described.VersionIdsToStages?.[versionId];
      if (labels?.includes('AWSPENDING') === true) {
        await moveStage(name, 'AWSPENDING', { from: versionId }, signal);
        return;
      }
      // Already discarded (or never pending): nothing to do, as long as the version exists.
      if (labels === undefined && !(await versionExists(name, versionId, signal))) throw notFoundVersion();
    },

    async delete(name, opts, signal) {
      if (opts.force) {
        // AWS answers a forced delete of a secret that does not exist with success; check first so it is a 404.
        await describeSecret(name, signal);
        await call('DeleteSecret', signal, (s) => client.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }), { abortSignal: s }));
        return;
      }
      try {
        await call('DeleteSecret', signal, (s) =>
          client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: options.recovery_window_days }), { abortSignal: s }),
        );
      } catch (err) {
        // Already scheduled for deletion: the delete has happened.
        if (err instanceof ProviderError && err.kind === 'deleted') return;
        throw err;
      }
    },

    async restore(name, signal) {
      await call('RestoreSecret', signal, (s) => client.send(new RestoreSecretCommand({ SecretId: name }), { abortSignal: s }));
    },

    async list(opts, signal) {
      const out = await call('ListSecrets', signal, (s) =>
        client.send(
          new ListSecretsCommand({
            MaxResults: Math.min(Math.max(Math.trunc(opts.pageSize), 1), 100),
            IncludePlannedDeletion: false,
            SortBy: 'name',
            SortOrder: 'asc',
            ...(opts.pageToken === undefined ? {} : { NextToken: opts.pageToken }),
            // AWS's name filter matches word prefixes case-insensitively: a hint, so names are checked again below.
            ...(opts.prefix === '' ? {} : { Filters: [{ Key: 'name', Values: [opts.prefix] }] }),
          }),
          { abortSignal: s },
        ),
      );
      const names: string[] = [];
      for (const entry of out.SecretList ?? []) {
        if (entry.Name !== undefined && entry.DeletedDate === undefined && entry.Name.startsWith(opts.prefix)) names.push(entry.Name);
      }
      return out.NextToken === undefined || out.NextToken === '' ? { names } : { names, nextPageToken: out.NextToken };
    },

    async putTags(name, tags, signal) {
      const list = tagList(tags);
      if (list.length === 0) {
        await describeLive(name, signal, 'TagResource');
        return;
      }
      await call('TagResource', signal, (s) => client.send(new TagResourceCommand({ SecretId: name, Tags: list }), { abortSignal: s }));
    },

    async removeTags(name, keys, signal) {
      if (keys.length === 0) {
        await describeLive(name, signal, 'UntagResource');
        return;
      }
      await call('UntagResource', signal, (s) => client.send(new UntagResourceCommand({ SecretId: name, TagKeys: [...keys] }), { abortSignal: s }));
    },

    async close() {
      client.destroy();
    },
  };
}
