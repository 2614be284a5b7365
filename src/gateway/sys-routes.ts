/**
 * `/api/v1/sys/…`: seal lifecycle, keyring rotation, the secret and auth mount tables,
 * ACL policies and capabilities, with Vault's paths and JSON shapes. Authorized on their
 * own paths (`sys/…`); `sudo` where Vault requires it (docs/policies.md lists them).
 */

import { z } from 'zod';
import { GatewayError, NotFoundError, SealedError, ValidationError, redactCredentials } from '../core/index.js';
import type { JsonObject } from '../core/index.js';
import { auditDeviceSchema } from '../audit/index.js';
import { mountCacheOptionsSchema } from '../router/index.js';
import { defineRoute } from './api-route.js';
import type { ApiRoute } from './api-route.js';
import type { KeygateCore } from './keygate.js';
import { mountAccessor } from './mounts.js';
import type { MountEntry } from './mounts.js';

const keyStatusSchema = z.object({
  data: z.object({
    term: z.int().describe('Keyring term that new writes use.'),
    install_time: z.string(),
    terms: z.int().describe('Number of terms held; all still decrypt.'),
    encryptions: z.int().describe('Encryptions under the active term, across processes (as last persisted).'),
    max_encryptions: z.int().describe('The count at which the term rotates by itself (keyring.max_encryptions).'),
  }),
});

const mountBodySchema = z.strictObject({
  type: z.string().min(1).max(64).describe('Backend type, e.g. "kv".'),
  description: z.string().max(256).optional(),
  options: z.record(z.string(), z.json()).optional().describe('Backend options, validated by the backend (for kv: max_versions, cas_required, delete_version_after).'),
  cache: mountCacheOptionsSchema.optional(),
});

const mountSchema = z.object({
  type: z.string(),
  description: z.string(),
  options: z.record(z.string(), z.json()),
  cache: z.record(z.string(), z.string()).optional().describe('Read cache settings the mount sets (absent: its type\'s defaults; docs/cache.md).'),
  uuid: z.string(),
  accessor: z.string().optional(),
  source: z.enum(['config', 'api']),
  created_time: z.string(),
});

const policyBodySchema = z.strictObject({
  policy: z.string().min(1).max(64 * 1024).describe('The policy, in Vault HCL or JSON.'),
});

const capabilitiesBodySchema = z.strictObject({
  path: z.string().max(1024).optional().describe('One policy path.'),
  paths: z.array(z.string().max(1024)).max(64).optional().describe('Several policy paths.'),
});

const auditDeviceBodySchema = auditDeviceSchema.omit({ name: true });

const describeMount = (m: MountEntry, auth = false): JsonObject => ({
  type: m.type,
  description: m.description,
  options: redactCredentials(m.options),
  ...(m.cache === undefined ? {} : { cache: { ...m.cache } }),
  uuid: m.id,
  ...(auth ? { accessor: mountAccessor(m) } : {}),
  source: m.source,
  created_time: m.created_time,
});

const keyStatus = (core: KeygateCore) => {
  const status = core.barrier.status();
  if (status === null) throw new SealedError();
  return {
    data: {
      term: status.term,
      install_time: new Date(status.installedAt).toISOString(),
      terms: status.terms,
      encryptions: status.encryptions,
      max_encryptions: status.maxEncryptions,
    },
  };
};

const mountKey = (path: string | undefined) => (path ?? '').replace(/\/?$/, '/');

/** The sys routes, in match order. */
export const sysRoutes: readonly ApiRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/api/v1/sys/key-status',
    summary: 'Keyring status',
    description: 'The keyring term new writes use and when it was installed. Needs read on sys/key-status.',
    tag: 'sys',
    auth: 'token',
    capability: 'read',
    sealed: false,
    response: keyStatusSchema,
    handler: async ({ core }) => ({ status: 200, body: keyStatus(core) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/sys/rotate',
    summary: 'Rotate the encryption key',
    description: 'Adds a keyring term: new writes are encrypted under it, older terms still decrypt. Needs update and sudo on sys/rotate.',
    tag: 'sys',
    auth: 'token',
    capability: 'update',
    sudo: true,
    sealed: false,
    response: keyStatusSchema,
    handler: async ({ core }) => {
      const status = await core.barrier.rotate();
      core.runtime.logger.info({ term: status.term }, 'keyring rotated');
      return { status: 200, body: keyStatus(core) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/sys/mounts',
    summary: 'List mounts',
    description: 'Every secret mount, keyed by path ("" is the default route). Needs read on sys/mounts.',
    tag: 'sys',
    auth: 'token',
    capability: 'read',
    sealed: false,
    response: z.object({ data: z.record(z.string(), mountSchema) }),
    handler: async ({ core }) => {
      const data: JsonObject = {};
      const health = core.mountHealth.report();
      for (const m of core.mounts.list()) data[m.path] = { ...describeMount(m), ...(health[m.path] === undefined ? {} : { status: { ...health[m.path] } }) };
      return { status: 200, body: { data } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/sys/mounts/{path}/validate',
    summary: 'Check a mount\'s configuration',
    description: 'Runs the backend\'s configuration check now (for cloud mounts: an authenticated call with the mount\'s credentials) and reports {ok, error, checked_time}. Needs update on sys/mounts/<path>/validate.',
    tag: 'sys',
    auth: 'token',
    capability: 'update',
    sealed: false,
    handler: async ({ core, params }) => {
      const wanted = mountKey(params.path);
      if (!core.mounts.list().some((m) => m.path === wanted)) throw new NotFoundError(`no mount at "${wanted}"`);
      const result = await core.mountHealth.check(wanted);
      return { status: 200, body: { data: result === null ? { ok: true, error: null, checked_time: null, note: 'this backend has nothing to check' } : { ...result } } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/sys/mounts/{path}',
    summary: 'Read a mount',
    description: 'One mount. Needs read on sys/mounts/<path>.',
    tag: 'sys',
    auth: 'token',
    capability: 'read',
    sealed: false,
    response: z.object({ data: mountSchema }),
    handler: async ({ core, params }) => {
      const wanted = mountKey(params.path);
      const m = core.mounts.list().find((e) => e.path === wanted);
      if (m === undefined) throw new NotFoundError(`no mount at "${wanted}"`);
      return { status: 200, body: { data: describeMount(m) } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/sys/mounts/{path}',
    summary: 'Create a mount',
    description:
      'Mounts a backend at a path prefix (letters, digits, "_", ".", "-"; up to 8 segments; not sys, auth, identity or metadata). Mounts may not nest; the default route "" is declared in the config file. Needs update on sys/mounts/<path>.',
    tag: 'sys',
    auth: 'token',
    capability: 'update',
    sealed: false,
    body: mountBodySchema,
    handler: async ({ core, body, params }) => {
      const entry = await core.mounts.create({ path: params.path ?? '', ...body });
      core.runtime.logger.info({ mount: entry.path, type: entry.type }, 'mount created');
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/v1/sys/mounts/{path}',
    summary: 'Remove a mount',
    description: 'Unmounts a run-time mount and deletes all of its data. Mounts declared in the config file answer 409. Needs delete on sys/mounts/<path>.',
    tag: 'sys',
    auth: 'token',
    capability: 'delete',
    sealed: false,
    handler: async ({ core, params }) => {
      await core.mounts.remove(params.path ?? '');
      core.runtime.logger.warn({ mount: params.path }, 'mount removed and its data deleted');
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/sys/auth',
    summary: 'List auth methods',
    description: 'Every enabled auth method, keyed by path, with its accessor (for templated policies). Needs read on sys/auth.',
    tag: 'sys',
    auth: 'token',
    capability: 'read',
    sealed: false,
    response: z.object({ data: z.record(z.string(), mountSchema) }),
    handler: async ({ core }) => {
      const data: JsonObject = {
        'token/': { type: 'token', description: 'token based credentials', options: {}, uuid: '', accessor: 'auth_token', source: 'config', created_time: '' },
      };
      for (const m of core.authMounts.list()) data[m.path] = describeMount(m, true);
      return { status: 200, body: { data } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/sys/auth/{path}',
    summary: 'Read an auth method',
    description: 'One auth mount. Needs read and sudo on sys/auth/<path>.',
    tag: 'sys',
    auth: 'token',
    capability: 'read',
    sudo: true,
    sealed: false,
    response: z.object({ data: mountSchema }),
    handler: async ({ core, params }) => {
      const wanted = mountKey(params.path);
      const m = core.authMounts.list().find((e) => e.path === wanted);
      if (m === undefined) throw new NotFoundError(`no auth method at "${wanted}"`);
      return { status: 200, body: { data: describeMount(m, true) } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/sys/auth/{path}',
    summary: 'Enable an auth method',
    description: 'Mounts an auth method (approle, jwt, kubernetes, aws) at a path. Configure it and its roles under /api/v1/auth/<path>/. Needs update and sudo on sys/auth/<path>.',
    tag: 'sys',
    auth: 'token',
    capability: 'update',
    sudo: true,
    sealed: false,
    body: mountBodySchema,
    handler: async ({ core, body, params }) => {
      const entry = await core.authMounts.create({ path: params.path ?? '', ...body });
      core.runtime.logger.info({ mount: entry.path, type: entry.type }, 'auth method enabled');
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/v1/sys/auth/{path}',
    summary: 'Disable an auth method',
    description: 'Revokes every token the method issued, then unmounts it and deletes its roles and configuration. Needs delete and sudo on sys/auth/<path>.',
    tag: 'sys',
    auth: 'token',
    capability: 'delete',
    sudo: true,
    sealed: false,
    handler: async ({ core, params }) => {
      const wanted = mountKey(params.path);
      const entry = core.authMounts.list().find((e) => e.path === wanted);
      if (entry === undefined) throw new NotFoundError(`no auth method at "${wanted}"`);
      const revoked = await core.tokens.revokeByMount(mountAccessor(entry));
      await core.authMounts.remove(wanted);
      core.runtime.logger.warn({ mount: wanted, revoked }, 'auth method disabled; its tokens revoked');
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'LIST',
    path: '/api/v1/sys/policies/acl',
    summary: 'List ACL policies',
    description: 'Policy names, sorted (GET with ?list=true, or LIST). Needs list on sys/policies/acl/.',
    tag: 'sys',
    auth: 'token',
    capability: 'list',
    sealed: false,
    response: z.object({ data: z.object({ keys: z.array(z.string()) }) }),
    handler: async ({ core }) => ({ status: 200, body: { data: { keys: await core.policies.list() } } }),
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/sys/policies/acl/{name}',
    summary: 'Read an ACL policy',
    description: 'The policy text as written. Needs read and sudo on sys/policies/acl/<name>.',
    tag: 'sys',
    auth: 'token',
    capability: 'read',
    sudo: true,
    sealed: false,
    response: z.object({ data: z.object({ name: z.string(), policy: z.string() }) }),
    handler: async ({ core, params }) => {
      const name = params.name ?? '';
      const text = await core.policies.read(name);
      if (text === null) throw new NotFoundError('no such policy');
      return { status: 200, body: { data: { name, policy: text } } };
    },
  }),
  ...(['PUT', 'POST'] as const).map((method) =>
    defineRoute({
      method,
      path: '/api/v1/sys/policies/acl/{name}',
      summary: 'Write an ACL policy',
      description: 'Creates or replaces a policy (Vault HCL or JSON). The text is parsed first; an error names line, column and problem. `root` cannot be written. Needs update and sudo on sys/policies/acl/<name>.',
      tag: 'sys',
      auth: 'token',
      capability: 'update',
      sudo: true,
      sealed: false,
      body: policyBodySchema,
      handler: async ({ core, body, params }) => {
        await core.policies.put(params.name ?? '', body.policy);
        core.runtime.logger.info({ policy: params.name }, 'policy written');
        return { status: 204 };
      },
    }),
  ),
  defineRoute({
    method: 'DELETE',
    path: '/api/v1/sys/policies/acl/{name}',
    summary: 'Delete an ACL policy',
    description: 'Tokens that name it keep the name but lose its grants. `default` and `root` cannot be deleted. Needs delete and sudo on sys/policies/acl/<name>.',
    tag: 'sys',
    auth: 'token',
    capability: 'delete',
    sudo: true,
    sealed: false,
    handler: async ({ core, params }) => {
      await core.policies.delete(params.name ?? '');
      core.runtime.logger.info({ policy: params.name }, 'policy deleted');
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/sys/audit',
    summary: 'List audit devices',
    description: 'Every audit device with its type, whether it is required, how it records a read-cache hit (`cache_hit_records`), its counters (written, failed, spooled, dropped), its chain head and its public key (for `keygate audit verify --public-key`). Credentials in options are redacted.',
    tag: 'sys',
    auth: 'token',
    capability: 'read',
    sudo: true,
    sealed: false,
    handler: async ({ core }) => {
      const data: JsonObject = {};
      for (const d of core.audit.list()) {
        data[d.name] = { type: d.type, description: d.description, required: d.required, log_raw: d.log_raw, cache_hit_records: d.cache_hit_records, source: d.source, options: d.options, public_key: d.public_key, counters: { ...d.counters }, head: { ...d.head } };
      }
      return { status: 200, body: { data } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/sys/audit/{name}',
    summary: 'Enable an audit device',
    description: 'Body: `{"type": "file"|"stdout"|"syslog"|"http", "required": true, "description", "deadline": "2s", "log_raw": false, "cache_hit_records": "pair"|"response", "options": {…}}` (docs/audit.md). The device starts a new signed chain segment at once.',
    tag: 'sys',
    auth: 'token',
    capability: 'update',
    sudo: true,
    sealed: false,
    body: auditDeviceBodySchema,
    handler: async ({ core, body, params }) => {
      await core.audit.enable({ ...body, name: params.name ?? '' });
      core.runtime.logger.info({ device: params.name }, 'audit device enabled');
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/v1/sys/audit/{name}',
    summary: 'Disable an audit device',
    description: 'Writes a last checkpoint, closes the device and forgets its keys. Devices declared in the config file answer 409.',
    tag: 'sys',
    auth: 'token',
    capability: 'delete',
    sudo: true,
    sealed: false,
    handler: async ({ core, params }) => {
      await core.audit.disable(params.name ?? '');
      core.runtime.logger.warn({ device: params.name }, 'audit device disabled');
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/sys/audit-hash/{name}',
    summary: 'HMAC a value with an audit device\'s key',
    description: 'Returns `hmac-sha256:…` of `input` under the device\'s key, to find a known value in the audit records.',
    tag: 'sys',
    auth: 'token',
    capability: 'update',
    sudo: true,
    sealed: false,
    body: z.strictObject({ input: z.string().max(64 * 1024).meta({ sensitive: true }) }),
    response: z.object({ data: z.object({ hash: z.string() }) }),
    handler: async ({ core, body, params }) => ({ status: 200, body: { data: { hash: await core.audit.hash(params.name ?? '', body.input) } } }),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/sys/capabilities-self',
    summary: 'Capabilities of the caller',
    description: 'The caller\'s capabilities on each given policy path (e.g. "database/postgres", "metadata/app/db", "sys/mounts"). Needs update on sys/capabilities-self (the default policy grants it).',
    tag: 'sys',
    auth: 'token',
    capability: 'update',
    sealed: false,
    body: capabilitiesBodySchema,
    handler: async ({ core, body, principal }) => {
      const paths = [...(body.path === undefined ? [] : [body.path]), ...(body.paths ?? [])];
      if (paths.length === 0) throw new ValidationError('give "path" or "paths"', [{ field: 'paths', reason: 'must not be empty' }]);
      if (principal === null) throw new GatewayError('ERR_INTERNAL', 'no principal');
      const result = await core.authorizer.capabilities(principal, paths);
      const data: JsonObject = { ...result };
      if (paths.length === 1) data.capabilities = result[paths[0] ?? ''] ?? [];
      return { status: 200, body: { data } };
    },
  }),
];
