/**
 * One adapter turns any `SecretProvider` into a mounted backend with the KV contract
 * (docs/providers/README.md): GET/PUT/PATCH/DELETE/list on `/api/v1/secrets/{mount}/{path}`,
 * metadata and tags on `/api/v1/metadata/…`, undelete, destroy and rotate. Names go
 * through the cloud's reversible mapping; every call goes through the resilience
 * middleware; every cloud failure becomes a stable code.
 */

import { z } from 'zod';
import {
  GatewayError,
  NotFoundError,
  PreconditionFailedError,
  Sensitive,
  ValidationError,
  durationSchema,
  fromBase64,
  isJsonObject,
  mergePatch,
  parseDuration,
  sensitive,
  toFieldIssues,
  toBase64,
} from '../core/index.js';
import type { JsonObject, OperationResponse, SafeJsonObject } from '../core/index.js';
import { engineKit, noBody, noQuery } from '../native-engines/framework/index.js';
import type { EngineDefinition, HandlerContext } from '../native-engines/framework/index.js';
import type { ProviderDefinition } from './definition.js';
import { toGatewayError } from './errors.js';
import { createNameMapper } from './naming.js';
import { DEFAULT_RESILIENCE, withResilience } from './resilience.js';
import type { ResilienceStatus } from './resilience.js';
import { createRotation, rotationSettingsSchema } from './rotation.js';
import type { Rotation } from './rotation.js';
import { ProviderError } from './types.js';
import type { NameMapper, ProviderValue, SecretProvider, Stage, VersionSelector } from './types.js';

/** Tags Keygate puts on secrets it creates; it deletes only those (unless the mount allows more). */
export const OWNERSHIP_TAG = 'keygate-managed';
export const MOUNT_TAG = 'keygate-mount';
const RESERVED_TAG = /^keygate-/;

/** Options every provider mount takes, besides the provider's own. */
export const commonProviderOptionsShape = {
  name_prefix: z.string().max(128).default('').describe('Put in front of every cloud name (must be valid for the cloud).'),
  timeout: durationSchema.default('5s').describe('Deadline of one cloud call.'),
  max_attempts: z.int().min(1).max(10).default(3).describe('Attempts per call, retries included.'),
  breaker_threshold: z.int().min(1).max(1000).default(5).describe('Consecutive transient failures that open the circuit.'),
  breaker_open: durationSchema.default('10s').describe('How long the circuit stays open.'),
  allow_unowned_delete: z.boolean().default(false).describe('Allow deleting secrets Keygate did not create.'),
  allow_permanent_delete: z.boolean().default(false).describe('Allow deletes without `force` on clouds whose deletes cannot be undone.'),
  list_scan_limit: z.int().min(100).max(100_000).default(10_000).describe('Most cloud names one listing call scans.'),
  rotation_webhooks: z.array(z.url()).max(16).default([]).describe('URL prefixes rotation verification webhooks may use (none: webhooks refused).'),
};
const commonSchema = z.strictObject(commonProviderOptionsShape);
type CommonOptions = z.output<typeof commonSchema>;

interface ProviderMountOptions {
  common: CommonOptions;
  provider: unknown;
}

interface ProviderState {
  port: SecretProvider & { status(): ResilienceStatus };
  mapper: NameMapper;
  rotation: Rotation;
}

const STAGE_ALIASES: Record<string, Stage> = {
  current: 'current',
  pending: 'pending',
  previous: 'previous',
  awscurrent: 'current',
  awspending: 'pending',
  awsprevious: 'previous',
  latest: 'current',
};

const versionQuery = z.strictObject({
  version: z.string().min(1).max(128).optional().describe('A version id, or a stage: current, pending, previous (AWSCURRENT etc. also accepted).'),
});
const writeQuery = z.strictObject({
  format: z.enum(['json', 'text', 'binary']).default('json').describe('json: the body is the secret; text/binary: the body is {"value": "…"} (binary: base64).'),
});
const deleteQuery = z.strictObject({
  force: z.enum(['true', 'false']).default('false').describe('Delete for good, without a recovery window.'),
});
const listQuery = z.strictObject({ after: z.string().max(1024).optional(), limit: z.coerce.number().int().min(1).max(1000).default(1000) });
const destroyBody = z.strictObject({ versions: z.array(z.string().min(1).max(128)).min(1).max(100) });
const metadataBody = z.strictObject({
  tags: z.record(z.string().min(1).max(128), z.string().max(256)).refine((t) => Object.keys(t).length <= 50, 'at most 50 tags').optional(),
  remove_tags: z.array(z.string().min(1).max(128)).max(50).optional(),
  rotation: rotationSettingsSchema.nullable().optional(),
});

function selectorOf(version: string | undefined): VersionSelector {
  if (version === undefined) return { stage: 'current' };
  const stage = STAGE_ALIASES[version.toLowerCase()];
  return stage === undefined ? { versionId: version } : { stage };
}

/** The secret as `data`: JSON objects field by field, other text as `{value}`, bytes as base64. */
function decodeValue(value: ProviderValue): { data: SafeJsonObject; format: string } {
  if (value.kind === 'binary') return { data: { value: sensitive(toBase64(value.bytes.reveal())), encoding: 'base64' }, format: 'binary' };
  const text = value.text.reveal();
  try {
    const parsed: unknown = JSON.parse(text);
    if (isJsonObject(parsed)) {
      const data: SafeJsonObject = {};
      for (const [k, v] of Object.entries(parsed)) Object.defineProperty(data, k, { value: sensitive(v), enumerable: true, writable: true, configurable: true });
      return { data, format: 'json' };
    }
  } catch {
    // not JSON: a plain string secret
  }
  return { data: { value: sensitive(text) }, format: 'text' };
}

function encodeValue(body: JsonObject, format: 'json' | 'text' | 'binary'): ProviderValue {
  if (format === 'json') return { kind: 'text', text: new Sensitive(JSON.stringify(body)) };
  const value = body.value;
  if (typeof value !== 'string' || Object.keys(body).length !== 1) {
    throw new ValidationError('with format=text or binary the body is {"value": "…"}', [{ field: 'value', reason: 'must be the only field, a string' }]);
  }
  if (format === 'text') return { kind: 'text', text: new Sensitive(value) };
  const bytes = fromBase64(value);
  if (bytes === null) throw new ValidationError('binary values are base64', [{ field: 'value', reason: 'must be base64' }]);
  return { kind: 'binary', bytes: new Sensitive(bytes) };
}

/** Builds the mounted engine for one provider type. */
export function providerEngineDefinition(definition: ProviderDefinition): EngineDefinition {
  const commonKeys = new Set(Object.keys(commonProviderOptionsShape));
  const optionsSchema = z.record(z.string(), z.json()).transform((raw, ctx): ProviderMountOptions => {
    const common: JsonObject = {};
    const own: JsonObject = {};
    for (const [k, v] of Object.entries(raw)) (commonKeys.has(k) ? common : own)[k] = v;
    const c = commonSchema.safeParse(common);
    const p = definition.options.safeParse(own);
    if (c.success && c.data.name_prefix !== '' && !definition.naming.valid.test(c.data.name_prefix)) {
      ctx.addIssue({ code: 'custom', path: ['name_prefix'], message: `must be valid in cloud names (${definition.naming.describe})` });
    }
    const issues = [...(c.success ? [] : toFieldIssues(c.error.issues, common)), ...(p.success ? [] : toFieldIssues(p.error.issues, own))];
    // Reasons come from core/validation, which never quotes the submitted value.
    for (const issue of issues) ctx.addIssue({ code: 'custom', path: issue.field.split('.'), message: issue.reason });
    return { common: c.success ? c.data : commonSchema.parse({}), provider: p.success ? p.data : {} };
  });

  const kit = engineKit<ProviderMountOptions, ProviderState>();
  type Ctx = HandlerContext<ProviderMountOptions, ProviderState, unknown, unknown>;
  const guarded = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw toGatewayError(err);
    }
  };
  const pathOf = (ctx: Pick<Ctx, 'req'>): string => {
    const p = ctx.req.relativePath;
    if (p === '') throw new ValidationError('a secret path is required', [{ field: 'path', reason: 'must not be empty' }]);
    return p;
  };
  const owned = async (ctx: Pick<Ctx, 'state' | 'options' | 'req'>, name: string): Promise<void> => {
    if (ctx.options.common.allow_unowned_delete) return;
    const info = await ctx.state.port.describe(name, ctx.req.signal);
    if (info === null) throw new NotFoundError('no such secret');
    if (info.tags[OWNERSHIP_TAG] !== 'true') {
      throw new GatewayError('ERR_CONFLICT', 'Keygate did not create this secret and will not delete it (set allow_unowned_delete on the mount to allow it)');
    }
  };

  const isKind = (err: unknown, kind: string) => err instanceof ProviderError && err.kind === kind;

  const write = async (ctx: Ctx, value: ProviderValue, create: boolean): Promise<OperationResponse> => {
    const name = ctx.state.mapper.toCloud(pathOf(ctx));
    const { ifMatch, ifNoneMatch } = ctx.req.preconditions;
    const expect = ifMatch?.find((t) => t !== '*');
    const tags = { [OWNERSHIP_TAG]: 'true', [MOUNT_TAG]: ctx.req.mount.id };
    const createIt = () => ctx.state.port.create(name, value, tags, ctx.req.signal);
    const addIt = () => ctx.state.port.addVersion(name, value, { stage: 'current', ...(expect === undefined ? {} : { expectCurrent: expect }) }, ctx.req.signal);
    let version;
    if (ifNoneMatch?.includes('*') === true) {
      try {
        version = await createIt();
      } catch (err) {
        if (isKind(err, 'conflict')) throw new PreconditionFailedError('the secret exists');
        throw err;
      }
    } else if (create && expect === undefined) {
      // Classed as a create by the existence check; another writer may have won the race.
      try {
        version = await createIt();
      } catch (err) {
        if (!isKind(err, 'conflict')) throw err;
        version = await addIt();
      }
    } else {
      try {
        version = await addIt();
      } catch (err) {
        if (!isKind(err, 'not_found') || expect !== undefined || ifMatch?.includes('*') === true) throw err;
        version = await createIt();
      }
    }
    return { data: { version: version.id, created_time: version.createdTime ?? new Date(ctx.runtime.now()).toISOString() }, etag: version.id, cache: 'no-store' };
  };

  const readOp = kit.defineOperation({
    summary: 'Read a secret from the cloud store',
    description: 'The current version, or `?version=` (a version id, or current / pending / previous). JSON secrets come back field by field; plain strings as {"value"}; bytes as {"value": base64, "encoding": "base64"}.',
    body: noBody,
    query: versionQuery,
    sensitive: ['*'],
    handler: (ctx) =>
      guarded(async () => {
        const name = ctx.state.mapper.toCloud(pathOf(ctx));
        const result = await ctx.state.port.read(name, selectorOf(ctx.query.version), ctx.req.signal);
        if (result === null) throw new NotFoundError(ctx.query.version === undefined ? 'no such secret' : 'no such version');
        const { data, format } = decodeValue(result.value);
        return {
          data,
          metadata: { version: result.version.id, stages: result.version.stages, created_time: result.version.createdTime, format },
          etag: result.version.id,
          // Writes through Keygate invalidate; changes made in the cloud directly show after the mount's TTL.
          cache: { ttlMs: Infinity },
        };
      }),
  });

  const listOp = kit.defineOperation({
    summary: 'List secrets one level down',
    description: 'Keys under the folder, sorted, sub-folders ending in "/", paged with after and limit. Scans at most list_scan_limit cloud names.',
    body: noBody,
    query: listQuery,
    handler: (ctx) =>
      guarded(async () => {
        const folder = ctx.req.relativePath;
        const prefix = folder === '' ? '' : `${folder}/`;
        const children = new Set<string>();
        let token: string | undefined;
        let scanned = 0;
        do {
          const page = await ctx.state.port.list({ prefix: ctx.state.mapper.cloudPrefix(folder), pageSize: 100, ...(token === undefined ? {} : { pageToken: token }) }, ctx.req.signal);
          for (const cloud of page.names) {
            const logical = ctx.state.mapper.fromCloud(cloud);
            if (logical === null || !logical.startsWith(prefix)) continue;
            const rest = logical.slice(prefix.length);
            const slash = rest.indexOf('/');
            children.add(slash === -1 ? rest : rest.slice(0, slash + 1));
          }
          scanned += page.names.length;
          token = page.nextPageToken;
        } while (token !== undefined && scanned < ctx.options.common.list_scan_limit);
        const sorted = [...children].sort().filter((k) => ctx.query.after === undefined || k > ctx.query.after);
        const keys = sorted.slice(0, ctx.query.limit);
        return {
          data: { keys },
          metadata: { ...(keys.length === ctx.query.limit ? { next_after: keys[keys.length - 1] ?? '' } : {}), ...(token !== undefined ? { truncated: true } : {}) },
          cache: { ttlMs: Infinity },
        };
      }),
  });

  const writeOp = (create: boolean) =>
    kit.defineOperation({
      summary: create ? 'Create a secret in the cloud store' : 'Add a version',
      description:
        'The body is the secret (JSON), or {"value": "…"} with ?format=text|binary. Creates the secret (tagged as Keygate\'s) or adds a current version. If-Match: "<version id>" writes only if that version is current (exact on GCP, a narrowing check elsewhere: docs/providers); If-None-Match: * creates only.',
      body: z.record(z.string(), z.json()),
      query: writeQuery,
      sensitive: ['*'],
      handler: (ctx) => guarded(() => write(ctx, encodeValue(ctx.body, ctx.query.format), create)),
    });

  const patchOp = kit.defineOperation({
    summary: 'Merge-patch a JSON secret',
    description: 'Applies an RFC 7396 merge patch to the current JSON value and writes the result as the new current version.',
    body: z.record(z.string(), z.json()),
    query: noQuery,
    sensitive: ['*'],
    handler: (ctx) =>
      guarded(async () => {
        const name = ctx.state.mapper.toCloud(pathOf(ctx));
        const current = await ctx.state.port.read(name, { stage: 'current' }, ctx.req.signal);
        if (current === null) throw new NotFoundError('no such secret');
        const decoded = decodeValue(current.value);
        if (decoded.format !== 'json' || current.value.kind !== 'text') throw new ValidationError('only JSON secrets can be patched', [{ field: 'body', reason: 'the stored secret is not a JSON object' }]);
        const parsed = JSON.parse(current.value.text.reveal()) as JsonObject;
        const next = mergePatch(parsed, ctx.body);
        const expect = ctx.req.preconditions.ifMatch?.find((t) => t !== '*') ?? current.version.id;
        const version = await ctx.state.port.addVersion(name, { kind: 'text', text: new Sensitive(JSON.stringify(next)) }, { stage: 'current', expectCurrent: expect }, ctx.req.signal);
        return { data: { version: version.id, created_time: version.createdTime }, etag: version.id, cache: 'no-store' };
      }),
  });

  const deleteOp = kit.defineOperation({
    summary: 'Delete a secret',
    description: 'Recoverable by default where the cloud allows (undelete restores it); ?force=true deletes for good. Refused for secrets Keygate did not create unless the mount allows it.',
    body: noBody,
    query: deleteQuery,
    handler: (ctx) =>
      guarded(async () => {
        const name = ctx.state.mapper.toCloud(pathOf(ctx));
        const force = ctx.query.force === 'true';
        if (!force && !ctx.state.port.capabilities.recoverableDelete && !ctx.options.common.allow_permanent_delete) {
          throw new GatewayError('ERR_CONFLICT', 'deletes on this store cannot be undone: pass ?force=true, or set allow_permanent_delete on the mount');
        }
        await owned(ctx, name);
        await ctx.state.port.delete(name, { force }, ctx.req.signal);
        return { status: 204 };
      }),
  });

  const metadataView = async (ctx: Ctx, name: string, path: string): Promise<SafeJsonObject> => {
    const info = await ctx.state.port.describe(name, ctx.req.signal);
    if (info === null) throw new NotFoundError('no such secret');
    const settings = await ctx.state.rotation.settings(path);
    return {
      cloud_name: info.name,
      tags: info.tags,
      managed: info.tags[OWNERSHIP_TAG] === 'true',
      created_time: info.createdTime,
      updated_time: info.updatedTime,
      deleted: info.deleted,
      versions: info.versions.map((v) => ({ id: v.id, stages: v.stages, created_time: v.createdTime, enabled: v.enabled })),
      rotation: settings === null ? null : { ...settings.config, last_rotated: settings.lastRotated },
    };
  };

  const writeMetadata = (merge: boolean) =>
    kit.defineOperation({
      summary: merge ? 'Patch tags and rotation settings' : 'Write tags and rotation settings',
      description:
        'tags: set (keys starting keygate- are reserved); remove_tags: remove; rotation: generator settings (fields, length, alphabet), an optional interval for scheduled rotation and an optional verification webhook (its URL must start with one of the mount\'s rotation_webhooks); null removes them.',
      body: metadataBody,
      query: noQuery,
      handler: (ctx) =>
        guarded(async () => {
          const path = pathOf(ctx);
          const name = ctx.state.mapper.toCloud(path);
          const reserved = [...Object.keys(ctx.body.tags ?? {}), ...(ctx.body.remove_tags ?? [])].filter((t) => RESERVED_TAG.test(t));
          if (reserved.length > 0) throw new ValidationError('tags starting with keygate- are Keygate\'s own', reserved.map((t) => ({ field: `tags.${t}`, reason: 'is reserved' })));
          if ((await ctx.state.port.describe(name, ctx.req.signal)) === null) throw new NotFoundError('no such secret');
          if (ctx.body.tags !== undefined && Object.keys(ctx.body.tags).length > 0) await ctx.state.port.putTags(name, ctx.body.tags, ctx.req.signal);
          if (ctx.body.remove_tags !== undefined && ctx.body.remove_tags.length > 0) await ctx.state.port.removeTags(name, ctx.body.remove_tags, ctx.req.signal);
          if (ctx.body.rotation !== undefined) {
            const hook = ctx.body.rotation?.webhook;
            if (hook !== undefined && !ctx.options.common.rotation_webhooks.some((prefix) => hook.url.startsWith(prefix))) {
              throw new ValidationError('the webhook URL is not allowed on this mount', [{ field: 'rotation.webhook.url', reason: 'must start with one of the mount\'s rotation_webhooks' }]);
            }
            await ctx.state.rotation.configure(path, ctx.body.rotation);
          }
          return { status: 204 };
        }),
    });

  const pathSpec = kit.definePath({
    pattern: '{path*}',
    help: {
      synopsis: `A secret in ${definition.type}.`,
      description: 'The same contract as KV, spoken in the cloud\'s API: versions (ids and stages), recoverable deletes, tags, rotation with verification. See docs/providers/.',
    },
    exists: (ctx) =>
      guarded(async () => {
        if (ctx.req.relativePath === '') return false;
        const info = await ctx.state.port.describe(ctx.state.mapper.toCloud(ctx.req.relativePath), ctx.req.signal);
        return info !== null && !info.deleted;
      }),
    operations: {
      read: readOp,
      list: listOp,
      create: writeOp(true),
      update: writeOp(false),
      patch: patchOp,
      delete: deleteOp,
      undelete: kit.defineOperation({
        summary: 'Restore a deleted secret',
        description: 'Undoes a recoverable delete (AWS, Azure; GCP deletes are permanent).',
        body: z.strictObject({ versions: z.array(z.unknown()).max(100).optional() }),
        query: noQuery,
        handler: (ctx) =>
          guarded(async () => {
            if (!ctx.state.port.capabilities.recoverableDelete) throw new GatewayError('ERR_METHOD_NOT_ALLOWED', 'this store cannot restore deleted secrets');
            await ctx.state.port.restore(ctx.state.mapper.toCloud(pathOf(ctx)), ctx.req.signal);
            return { status: 204 };
          }),
      }),
      destroy: kit.defineOperation({
        summary: 'Destroy versions',
        description: 'Destroys the listed versions for good (GCP); other clouds answer 405.',
        body: destroyBody,
        query: noQuery,
        handler: (ctx) =>
          guarded(async () => {
            const destroy = ctx.state.port.destroyVersion;
            if (!ctx.state.port.capabilities.destroyVersion || destroy === undefined) throw new GatewayError('ERR_METHOD_NOT_ALLOWED', 'this store cannot destroy single versions');
            const name = ctx.state.mapper.toCloud(pathOf(ctx));
            for (const v of ctx.body.versions) await destroy.call(ctx.state.port, name, v, ctx.req.signal);
            return { status: 204 };
          }),
      }),
      rotate: kit.defineOperation({
        summary: 'Rotate a secret',
        description:
          'Generates new values for the configured fields, writes them as a pending version, calls the verification webhook if one is set, then promotes pending to current (the old current becomes previous). A failed verification rolls back; an interrupted rotation resumes or rolls back on the next attempt.',
        body: noBody,
        query: noQuery,
        handler: (ctx) =>
          guarded(async () => {
            const path = pathOf(ctx);
            const result = await ctx.state.rotation.rotate(path, ctx.state.mapper.toCloud(path), { mount: ctx.req.mount.path, signal: ctx.req.signal, allowedWebhooks: ctx.options.common.rotation_webhooks });
            return { data: { version: result.version, rotated_fields: result.rotatedFields, ...(result.resumed ? { resumed: true } : {}) }, etag: result.version, cache: 'no-store' };
          }),
      }),
      'read-metadata': kit.defineOperation({
        summary: 'Read metadata and tags',
        description: 'Cloud name, tags, whether Keygate manages it, versions with their stages, and rotation settings.',
        body: noBody,
        query: noQuery,
        handler: (ctx) => guarded(async () => ({ data: await metadataView(ctx, ctx.state.mapper.toCloud(pathOf(ctx)), pathOf(ctx)), cache: { ttlMs: Infinity } })),
      }),
      'write-metadata': writeMetadata(false),
      'patch-metadata': writeMetadata(true),
      'delete-metadata': kit.defineOperation({
        summary: 'Delete the secret for good',
        description: 'Deletes the secret with every version, without a recovery window (ownership rules apply).',
        body: noBody,
        query: noQuery,
        handler: (ctx) =>
          guarded(async () => {
            const path = pathOf(ctx);
            const name = ctx.state.mapper.toCloud(path);
            await owned(ctx, name);
            await ctx.state.port.delete(name, { force: true }, ctx.req.signal);
            await ctx.state.rotation.configure(path, null);
            return { status: 204 };
          }),
      }),
    },
  });

  return kit.defineEngine({
    type: definition.type,
    description: `Secrets in ${definition.type}, behind Keygate's contract.`,
    options: optionsSchema,
    actions: ['rotate', 'undelete', 'destroy'],
    setup({ options, runtime, storage }) {
      const common = options.common;
      const port = withResilience(
        definition.createPort(options.provider as never, { runtime }),
        {
          ...DEFAULT_RESILIENCE,
          timeoutMs: parseDuration(common.timeout) ?? DEFAULT_RESILIENCE.timeoutMs,
          maxAttempts: common.max_attempts,
          breakerThreshold: common.breaker_threshold,
          breakerOpenMs: parseDuration(common.breaker_open) ?? DEFAULT_RESILIENCE.breakerOpenMs,
        },
        { runtime, mount: definition.type },
      );
      return { port, mapper: createNameMapper(definition.naming, common.name_prefix), rotation: createRotation({ port, storage, runtime }) };
    },
    paths: [pathSpec],
    hooks: ({ state }) => ({
      validate: (signal) => guarded(() => state.port.validate(signal)),
      due: (now, limit) => state.rotation.due(now, limit),
      close: async () => {
        await state.port.close?.();
      },
    }),
  });
}
