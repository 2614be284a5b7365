/**
 * `/api/v1/sys/…`: seal lifecycle, keyring rotation, and the mount table, with Vault's
 * paths and JSON shapes. Each route is data (method, path, schemas, handler), so the same
 * schemas validate requests and generate the OpenAPI document.
 */

import { z } from 'zod';
import { GatewayError, SealedError, ValidationError, fromBase64, parseOrThrow } from '../core/index.js';
import type { JsonObject, Principal } from '../core/index.js';
import type { KeygateCore } from './keygate.js';
import type { MountEntry } from './mounts.js';

export interface SysContext {
  core: KeygateCore;
  body: unknown;
  /** Path parameters (decoded once, already canonical). */
  params: Record<string, string>;
  principal: Principal | null;
  requestId: string;
}

export interface SysResult {
  status: 200 | 204;
  body?: unknown;
}

export interface SysRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** OpenAPI-style path; `{name}` captures one or more segments (mount paths contain `/`). */
  path: string;
  summary: string;
  description: string;
  /** `none`: callable sealed and without a token; `root`: the root token (sudo policies come with issue 3). */
  auth: 'none' | 'root';
  /** Whether the route works while sealed. */
  sealed: boolean;
  body?: z.ZodType;
  response?: z.ZodType;
  handler(ctx: SysContext): Promise<SysResult>;
}

const sealStatusSchema = z.object({
  type: z.string().describe('Seal type, e.g. dev-key-file.'),
  initialized: z.boolean(),
  sealed: z.boolean(),
  version: z.string(),
  storage_type: z.string(),
});

const keyStatusSchema = z.object({
  term: z.int().describe('Keyring term that new writes use.'),
  install_time: z.string(),
  terms: z.int().describe('Number of terms held; all still decrypt.'),
});

export const unsealBodySchema = z.strictObject({
  key: z.string().min(1).max(1024).describe('The dev seal key, base64 (the content of seal.key).').meta({ sensitive: true }),
});

export const mountBodySchema = z.strictObject({
  type: z.string().min(1).max(64).describe('Backend type, e.g. "kv".'),
  description: z.string().max(256).optional(),
  options: z.record(z.string(), z.json()).optional().describe('Backend options, validated by the backend (for kv: max_versions, cas_required, delete_version_after).'),
});

const mountSchema = z.object({
  type: z.string(),
  description: z.string(),
  options: z.record(z.string(), z.json()),
  uuid: z.string(),
  source: z.enum(['config', 'api']),
  created_time: z.string(),
});

const describeMount = (m: MountEntry): JsonObject => ({
  type: m.type,
  description: m.description,
  options: m.options,
  uuid: m.id,
  source: m.source,
  created_time: m.created_time,
});

async function sealStatus(core: KeygateCore): Promise<z.infer<typeof sealStatusSchema>> {
  return {
    type: core.sealType,
    initialized: await core.barrier.isInitialized(),
    sealed: core.barrier.sealed,
    version: core.version,
    storage_type: core.config.storage.type,
  };
}

function requireUnsealed(core: KeygateCore): void {
  if (core.barrier.sealed) throw new SealedError();
}

/** The sys routes, in match order. */
export const sysRoutes: readonly SysRoute[] = [
  {
    method: 'GET',
    path: '/api/v1/sys/seal-status',
    summary: 'Seal status',
    description: 'Whether Keygate is initialised and sealed. Needs no token and works while sealed.',
    auth: 'none',
    sealed: true,
    response: sealStatusSchema,
    handler: async ({ core }) => ({ status: 200, body: await sealStatus(core) }),
  },
  {
    method: 'POST',
    path: '/api/v1/sys/seal',
    summary: 'Seal',
    description: 'Forgets every key held in memory. Every secret path answers 503 until unsealed. Root token.',
    auth: 'root',
    sealed: false,
    handler: async ({ core }) => {
      await core.seal();
      core.runtime.logger.warn('sealed through the API');
      return { status: 204 };
    },
  },
  {
    method: 'POST',
    path: '/api/v1/sys/unseal',
    summary: 'Unseal',
    description:
      'Unseals with the seal key (for the dev seal, the base64 content of the key file). Needs no token: possession of the key is the proof. A wrong key answers 400 ERR_UNSEAL_FAILED.',
    auth: 'none',
    sealed: true,
    body: unsealBodySchema,
    response: sealStatusSchema,
    handler: async ({ core, body }) => {
      const { key } = parseOrThrow(unsealBodySchema, body, 'invalid unseal request');
      const bytes = fromBase64(key.trim());
      if (bytes === null) throw new ValidationError('key must be base64', [{ field: 'key', reason: 'must be base64' }]);
      await core.unsealWithKey(bytes);
      core.runtime.logger.info('unsealed through the API');
      return { status: 200, body: await sealStatus(core) };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/sys/key-status',
    summary: 'Keyring status',
    description: 'The keyring term new writes use and when it was installed. Root token.',
    auth: 'root',
    sealed: false,
    response: keyStatusSchema,
    handler: async ({ core }) => {
      const status = core.barrier.status();
      if (status === null) throw new SealedError();
      return { status: 200, body: { data: { term: status.term, install_time: new Date(status.installedAt).toISOString(), terms: status.terms } } };
    },
  },
  {
    method: 'POST',
    path: '/api/v1/sys/rotate',
    summary: 'Rotate the encryption key',
    description: 'Adds a keyring term: new writes are encrypted under it, older terms still decrypt. Root token.',
    auth: 'root',
    sealed: false,
    response: keyStatusSchema,
    handler: async ({ core }) => {
      const status = await core.barrier.rotate();
      core.runtime.logger.info({ term: status.term }, 'keyring rotated');
      return { status: 200, body: { data: { term: status.term, install_time: new Date(status.installedAt).toISOString(), terms: status.terms } } };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/sys/mounts',
    summary: 'List mounts',
    description: 'Every mount, keyed by path ("" is the default route). Root token.',
    auth: 'root',
    sealed: false,
    response: z.object({ data: z.record(z.string(), mountSchema) }),
    handler: async ({ core }) => {
      requireUnsealed(core);
      const data: JsonObject = {};
      for (const m of core.mounts.list()) data[m.path] = describeMount(m);
      return { status: 200, body: { data } };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/sys/mounts/{path}',
    summary: 'Read a mount',
    description: 'One mount. Root token.',
    auth: 'root',
    sealed: false,
    response: z.object({ data: mountSchema }),
    handler: async ({ core, params }) => {
      requireUnsealed(core);
      const wanted = (params.path ?? '').replace(/\/?$/, '/');
      const m = core.mounts.list().find((e) => e.path === wanted);
      if (m === undefined) throw new GatewayError('ERR_NOT_FOUND', `no mount at "${wanted}"`);
      return { status: 200, body: { data: describeMount(m) } };
    },
  },
  {
    method: 'POST',
    path: '/api/v1/sys/mounts/{path}',
    summary: 'Create a mount',
    description:
      'Mounts a backend at a path prefix (letters, digits, "_", ".", "-"; up to 8 segments). Mounts may not nest; the default route "" is declared in the config file. Root token.',
    auth: 'root',
    sealed: false,
    body: mountBodySchema,
    handler: async ({ core, body, params }) => {
      const input = parseOrThrow(mountBodySchema, body, 'invalid mount request');
      const entry = await core.mounts.create({ path: params.path ?? '', ...input });
      core.runtime.logger.info({ mount: entry.path, type: entry.type }, 'mount created');
      return { status: 204 };
    },
  },
  {
    method: 'DELETE',
    path: '/api/v1/sys/mounts/{path}',
    summary: 'Remove a mount',
    description: 'Unmounts a run-time mount and deletes all of its data. Mounts declared in the config file answer 409. Root token.',
    auth: 'root',
    sealed: false,
    handler: async ({ core, params }) => {
      await core.mounts.remove(params.path ?? '');
      core.runtime.logger.warn({ mount: params.path }, 'mount removed and its data deleted');
      return { status: 204 };
    },
  },
];
