/**
 * `/api/v1/sys/…` routes of the seal lifecycle, with Vault's paths and JSON shapes:
 * seal-status, init, seal, unseal, rekey (and Vault's rekey-recovery-key alias),
 * generate-root, and ours: rotate/root, seal/rewrap, seal-backend-status. docs/seals/README.md
 * is the operator guide.
 *
 * Share ceremonies (unseal, rekey, generate-root) need no token, as in Vault: the shares
 * are the authority. Each runs on one replica (its progress is in memory, never stored):
 * address a replica directly for them.
 */

import { z } from 'zod';
import { defineRoute } from './api-route.js';
import type { ApiRoute } from './api-route.js';
import type { KeygateCore } from './keygate.js';

const shareCount = (what: string) => z.int().min(0).max(255).optional().describe(what);

const sealStatusSchema = z.object({
  type: z.string().describe('Seal type: shamir, dev-key-file, or the KMS seal type.'),
  initialized: z.boolean(),
  sealed: z.boolean(),
  t: z.int().describe('Shares needed to unseal (Shamir) or recover (KMS seals); 0 when the store has none.'),
  n: z.int().describe('Shares in all.'),
  progress: z.int().describe('Shares submitted in the current unseal attempt.'),
  nonce: z.string().describe('The current unseal attempt; send it with each further share.'),
  recovery_seal: z.boolean().describe('True for KMS seals with recovery shares.'),
  cluster_id: z.string().optional().describe('While unsealed.'),
  auto_unseal: z
    .object({ attempts: z.int(), last_error_code: z.string(), last_error: z.string(), next_attempt_in_ms: z.int().nullable() })
    .optional()
    .describe('While an automatic unseal keeps failing (a KMS unreachable): why, and when it retries.'),
  version: z.string(),
  storage_type: z.string(),
});

const initBodySchema = z.strictObject({
  secret_shares: shareCount('Shamir seal: unseal shares to create (default 5).'),
  secret_threshold: shareCount('Shamir seal: shares needed to unseal (default 3).'),
  recovery_shares: shareCount('KMS seals: recovery shares to create (default 5; 0 for none).'),
  recovery_threshold: shareCount('KMS seals: shares needed to recover (default 3).'),
});

const sensitiveList = z.array(z.string()).meta({ sensitive: true });
const initResponseSchema = z.object({
  keys: sensitiveList.describe('Shamir unseal shares, hex. Returned once.'),
  keys_base64: sensitiveList,
  recovery_keys: sensitiveList.describe('Recovery shares (KMS seals), hex. Returned once.'),
  recovery_keys_base64: sensitiveList,
  root_token: z.string().meta({ sensitive: true }).describe('The initial root token. Returned once.'),
});

const shareSchema = z.string().min(1).max(256).meta({ sensitive: true });

const unsealBodySchema = z.strictObject({
  key: shareSchema.optional().describe('An unseal share (Shamir), a recovery share (a KMS-sealed store an operator sealed), or the dev seal key; hex or base64.'),
  reset: z.boolean().optional().describe('Discard the shares submitted so far.'),
  nonce: z.string().max(64).optional().describe('The attempt this share belongs to (from seal-status); refused when it does not match.'),
});

const ceremonySchema = z.object({
  started: z.boolean(),
  nonce: z.string(),
  required: z.int().describe('Shares of the current key needed.'),
  progress: z.int(),
  t: z.int().optional().describe('Rekey: threshold of the new split.'),
  n: z.int().optional().describe('Rekey: shares of the new split.'),
  otp: z.string().optional().meta({ sensitive: true }).describe('Generate-root: the one-time pad (base64), only in the response that started the attempt.'),
  otp_length: z.int().optional(),
  complete: z.boolean(),
  keys: sensitiveList.optional().describe('Rekey: the new shares, hex, once complete.'),
  keys_base64: sensitiveList.optional(),
  encoded_token: z.string().optional().meta({ sensitive: true }).describe('Generate-root: base64 of the new root token XOR the pad.'),
});

const rekeyInitBodySchema = z.strictObject({
  secret_shares: z.int().min(1).max(255).describe('Shares of the new split.'),
  secret_threshold: z.int().min(1).max(255).describe('Threshold of the new split.'),
});

const updateBodySchema = z.strictObject({
  key: shareSchema.describe('A share of the current key, hex or base64.'),
  nonce: z.string().min(1).max(64).describe('The ceremony nonce.'),
});

const sealRecordSchema = z.object({
  cluster_id: z.string(),
  generation: z.int().describe('Root-key generation; bumped by sys/rotate/root.'),
  required: z.int().describe('How many seals must unwrap to unseal.'),
  seals: z.array(
    z.object({
      name: z.string(),
      type: z.string(),
      key_id: z.string().optional(),
      in_record: z.boolean().describe('The root key is wrapped under this seal.'),
      configured: z.boolean(),
      disabled: z.boolean(),
      added_time: z.string().nullable(),
      verified_time: z.string().nullable().describe('When this seal first took part in an unseal; null until it has.'),
      healthy: z.boolean().nullable().describe('Whether the seal answered a health check just now (null: it has none, or it is shamir).'),
    }),
  ),
});

async function status(core: KeygateCore): Promise<z.infer<typeof sealStatusSchema>> {
  return { ...(await core.seals.status()), version: core.version, storage_type: core.config.storage.type };
}

const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

async function sealBackends(core: KeygateCore): Promise<z.infer<typeof sealRecordSchema>> {
  const { record, configured } = await core.seals.describe();
  const names = new Set([...configured.map((s) => s.name), ...(record?.entries.map((e) => e.name) ?? [])]);
  const seals = await Promise.all(
    [...names].map(async (name) => {
      const entry = record?.entries.find((e) => e.name === name);
      const conf = configured.find((s) => s.name === name);
      let healthy: boolean | null = null;
      if (conf?.wrapper?.validate !== undefined) {
        healthy = await conf.wrapper.validate(AbortSignal.timeout(5_000)).then(
          () => true,
          () => false,
        );
      }
      return {
        name,
        type: entry?.type ?? conf?.type ?? 'unknown',
        ...(entry?.keyId === undefined ? {} : { key_id: entry.keyId }),
        in_record: entry !== undefined,
        configured: conf !== undefined,
        disabled: conf?.disabled ?? false,
        added_time: iso(entry?.addedAt),
        verified_time: iso(entry?.verifiedAt),
        healthy,
      };
    }),
  );
  return { cluster_id: record?.clusterId ?? '', generation: record?.generation ?? 0, required: record?.required ?? 0, seals };
}

/** A sudo-only POST that changes the seal record and answers with the seal backends' status. */
function sudoSealAction(path: string, summary: string, description: string, run: (core: KeygateCore) => Promise<unknown>): ApiRoute {
  return defineRoute({
    method: 'POST',
    path,
    summary,
    description,
    tag: 'seal',
    auth: 'token',
    capability: 'update',
    sudo: true,
    sealed: false,
    response: sealRecordSchema,
    handler: async ({ core }) => {
      await run(core);
      return { status: 200, body: await sealBackends(core) };
    },
  });
}

function rekeyRoutes(prefix: '/api/v1/sys/rekey' | '/api/v1/sys/rekey-recovery-key'): ApiRoute[] {
  const what = prefix.endsWith('recovery-key') ? 'Rekey recovery shares (alias of sys/rekey)' : 'Rekey the shares';
  return [
    defineRoute({
      method: 'GET',
      path: `${prefix}/init`,
      summary: `${what}: progress`,
      description: 'The rekey in progress, if any. Needs no token.',
      tag: 'seal',
      auth: 'none',
      sealed: false,
      response: ceremonySchema,
      handler: async ({ core }) => ({ status: 200, body: await core.seals.rekeyStatus() }),
    }),
    defineRoute({
      method: 'POST',
      path: `${prefix}/init`,
      summary: `${what}: start`,
      description:
        'Starts replacing the unseal shares (Shamir) or recovery shares (KMS seals) with a new split. Holders then submit shares of the current key to update; the last one receives the new shares. Needs no token: the shares are the authority. Requires unsealed.',
      tag: 'seal',
      auth: 'none',
      sealed: false,
      body: rekeyInitBodySchema,
      response: ceremonySchema,
      handler: async ({ core, body }) => ({ status: 200, body: await core.seals.rekeyStart(body) }),
    }),
    defineRoute({
      method: 'DELETE',
      path: `${prefix}/init`,
      summary: `${what}: cancel`,
      description: 'Cancels the rekey in progress; the submitted shares are discarded.',
      tag: 'seal',
      auth: 'none',
      sealed: false,
      handler: async ({ core }) => {
        core.seals.rekeyCancel();
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'POST',
      path: `${prefix}/update`,
      summary: `${what}: submit a share`,
      description: 'Submits one share of the current key. When the threshold is reached the new shares are returned, once; the old shares stop working. Wrong shares answer 400 ERR_SHARES_INVALID and end the attempt.',
      tag: 'seal',
      auth: 'none',
      sealed: false,
      body: updateBodySchema,
      response: ceremonySchema,
      handler: async ({ core, body }) => ({ status: 200, body: await core.seals.rekeyUpdate(body) }),
    }),
  ];
}

/** The seal lifecycle routes, in match order. */
export const sealRoutes: readonly ApiRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/api/v1/sys/seal-status',
    summary: 'Seal status',
    description: 'Whether Keygate is initialised and sealed, the share threshold and unseal progress, and why an automatic unseal is failing. Needs no token and works while sealed.',
    tag: 'seal',
    auth: 'none',
    sealed: true,
    response: sealStatusSchema,
    handler: async ({ core }) => ({ status: 200, body: await status(core) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/sys/init',
    summary: 'Initialisation status',
    description: 'Whether the store is initialised. Needs no token.',
    tag: 'seal',
    auth: 'none',
    sealed: true,
    response: z.object({ initialized: z.boolean() }),
    handler: async ({ core }) => ({ status: 200, body: { initialized: await core.barrier.isInitialized() } }),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/sys/init',
    summary: 'Initialise',
    description:
      'Creates the root key, wraps it under the configured seals, and returns the initial root token and the unseal shares (Shamir) or recovery shares (KMS seals), exactly once: nothing stores them in clear. Needs no token; 409 ERR_CONFLICT once initialised; 503 ERR_SEAL_UNAVAILABLE when a seal cannot wrap (nothing is committed).',
    tag: 'seal',
    auth: 'none',
    sealed: true,
    body: initBodySchema,
    response: initResponseSchema,
    handler: async ({ core, body }) => ({ status: 200, body: await core.seals.init(body) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/sys/seal',
    summary: 'Seal',
    description:
      'Forgets every key held in memory. Every secret path answers 503 until unsealed; no automatic unseal follows (restart the process, or submit recovery shares). Needs update and sudo on sys/seal.',
    tag: 'seal',
    auth: 'token',
    capability: 'update',
    sudo: true,
    sealed: false,
    handler: async ({ core }) => {
      await core.seal();
      core.runtime.logger.warn('sealed through the API');
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/sys/unseal',
    summary: 'Unseal',
    description:
      'Submits one unseal share (Shamir), one recovery share (a KMS-sealed store sealed through the API), or the dev seal key. Returns the progress; the share that completes the threshold unseals. Wrong shares answer 400 ERR_UNSEAL_FAILED and reset the attempt. Needs no token.',
    tag: 'seal',
    auth: 'none',
    sealed: true,
    body: unsealBodySchema,
    response: sealStatusSchema,
    handler: async ({ core, body }) => {
      await core.seals.unseal(body);
      return { status: 200, body: await status(core) };
    },
  }),
  ...rekeyRoutes('/api/v1/sys/rekey'),
  ...rekeyRoutes('/api/v1/sys/rekey-recovery-key'),
  defineRoute({
    method: 'GET',
    path: '/api/v1/sys/generate-root/attempt',
    summary: 'Generate a root token: progress',
    description: 'The root token generation in progress, if any. Needs no token.',
    tag: 'seal',
    auth: 'none',
    sealed: false,
    response: ceremonySchema,
    handler: async ({ core }) => ({ status: 200, body: await core.seals.generateRootStatus() }),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/sys/generate-root/attempt',
    summary: 'Generate a root token: start',
    description:
      'Starts generating a new root token from shares (the recovery path when no root token is left). Returns a one-time pad once; the final update returns the token XOR the pad, so share holders never see it. Needs no token.',
    tag: 'seal',
    auth: 'none',
    sealed: false,
    body: z.strictObject({}),
    response: ceremonySchema,
    handler: async ({ core }) => ({ status: 200, body: await core.seals.generateRootStart() }),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/v1/sys/generate-root/attempt',
    summary: 'Generate a root token: cancel',
    description: 'Cancels the attempt in progress.',
    tag: 'seal',
    auth: 'none',
    sealed: false,
    handler: async ({ core }) => {
      core.seals.generateRootCancel();
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/sys/generate-root/update',
    summary: 'Generate a root token: submit a share',
    description: 'Submits one share. The share that completes the threshold returns encoded_token (base64 of the token XOR the pad). Wrong shares answer 400 ERR_SHARES_INVALID and end the attempt.',
    tag: 'seal',
    auth: 'none',
    sealed: false,
    body: updateBodySchema,
    response: ceremonySchema,
    handler: async ({ core, body }) => ({ status: 200, body: await core.seals.generateRootUpdate(body) }),
  }),
  sudoSealAction(
    '/api/v1/sys/rotate/root',
    'Rotate the root key',
    'Replaces the root key: the keyring is re-encrypted under a new one, wrapped under every seal. Every seal in the record must be configured and reachable, else 503 ERR_SEAL_UNAVAILABLE and nothing changes. Needs update and sudo on sys/rotate/root.',
    (core) => core.seals.rotateRoot(),
  ),
  sudoSealAction(
    '/api/v1/sys/seal/rewrap',
    'Rewrap the root key',
    "Wraps the root key again under each enabled seal, with the KMS key's current primary version (after rotating a KMS key, so older key versions can be disabled). Needs update and sudo on sys/seal/rewrap.",
    (core) => core.seals.rewrap(),
  ),
  defineRoute({
    method: 'GET',
    path: '/api/v1/sys/seal-backend-status',
    summary: 'Seal backends',
    description: 'Every seal: configured, wrapping the root key, proven by an unseal, answering a health check now. Needs read on sys/seal-backend-status.',
    tag: 'seal',
    auth: 'token',
    capability: 'read',
    sealed: false,
    response: sealRecordSchema,
    handler: async ({ core }) => ({ status: 200, body: await sealBackends(core) }),
  }),
];
