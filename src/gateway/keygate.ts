/**
 * Wiring: builds the barrier, the mount tables, tokens, identity, policies and the
 * pipelines from narrow dependencies, and owns the seal lifecycle. Runtime-neutral: the
 * Node entry hands in SQLite storage, the key-file seal and a pino logger; tests hand in
 * memory storage.
 */

import { GatewayError, UnauthenticatedError, ValidationError, fromUtf8, parseDuration, utf8 } from '../core/index.js';
import type { AuthResult, Entity, JsonObject, ManagedStorage, Principal, Runtime, Storage } from '../core/index.js';
import { authMethods, createEntityStore, createLoginLimiter, createTokenStore } from '../auth/index.js';
import type { EntityStore, LoginLimiter, TokenRecord, TokenStore } from '../auth/index.js';
import { createBarrier } from '../barrier/index.js';
import type { AesGcm, Barrier } from '../barrier/index.js';
import { instantiateEngine, nativeEngines } from '../native-engines/index.js';
import type { EngineDefinition } from '../native-engines/index.js';
import { providerEngines } from '../providers/index.js';
import type { ProviderDefinition } from '../providers/index.js';
import { capabilityFor, createPolicyAuthorizer, createPolicyStore, policyRequestFor } from '../policy/index.js';
import type { PolicyAuthorizer, PolicyStore } from '../policy/index.js';
import { createAuditBroker } from '../audit/index.js';
import type { AuditBroker, AuditDigests, AuditEvent, SinkFactory } from '../audit/index.js';
import type { Config } from './config.js';
import { authMountDataPrefix, createMountManager, mountAccessor, mountDataPrefix } from './mounts.js';
import type { MountManager } from './mounts.js';
import { createPipeline } from './pipeline.js';
import { createInProcessBus, createReadCache } from '../cache/index.js';
import type { InvalidationBus, ReadCache } from '../cache/index.js';
import { DEFAULT_CACHE_TTL_MS } from '../router/index.js';
import { createMountHealth } from './mount-health.js';
import type { MountHealth } from './mount-health.js';
import { createScheduler } from './scheduler.js';
import type { Scheduler } from './scheduler.js';
import type { Pipeline } from './pipeline.js';
import { tokenFrom } from './request-input.js';
import type { RequestHeaders } from './request-input.js';
import { createSealManager } from './seal-manager.js';
import type { SealManager } from './seal-manager.js';
import type { SealSetup } from './seals.js';

/** Marks that initialisation finished, root token handed over; its absence means a start was interrupted. */
const INIT_MARKER_KEY = 'init';
/** The accessor of a root token issued but not yet handed over (an interrupted start revokes it). */
const PENDING_ROOT_KEY = 'init-pending-root';
/** First path segments secrets can never use: they are the policy namespaces of the other faces. */
export const RESERVED_PREFIXES = ['sys', 'auth', 'identity', 'metadata'] as const;

export interface KeygateDeps {
  config: Config;
  storage: ManagedStorage;
  runtime: Runtime;
  version: string;
  /** The configured seals (`createSealSetup`): they initialise, and unseal at start. */
  seals: SealSetup;
  /** Receives the root token of an automatic (dev seal) initialisation (the Node entry writes it to a 0600 file). Must not log it. */
  onRootToken?: (token: string) => Promise<void>;
  /** Revocation sync timing (tests shorten it). */
  tokenSync?: { leaseMs?: number; pollMs?: number };
  /** Audit sink factories by device type (the Node entry passes file, stdout, syslog, http). */
  auditSinks?: Readonly<Record<string, SinkFactory>>;
  /** Where optional audit devices keep their spools. */
  auditSpoolRoot?: string;
  /** Mount types beyond the native engines: the cloud providers the entry registers (`engineRegistry`). */
  engines?: Readonly<Record<string, EngineDefinition>>;
  /** The barrier's AES-256-GCM (default WebCrypto; the Node entry passes node:crypto's, same format). */
  aesGcm?: AesGcm;
  /** Audit HMAC and chain digests (default WebCrypto; the Node entry passes node:crypto's, same output). */
  auditDigests?: AuditDigests;
  /** Carries read cache invalidations (default: in-process; a shared bus reaches other replicas). */
  invalidationBus?: InvalidationBus;
}

/** Every mount type: the native engines and the given providers' engines. */
export function engineRegistry(providers: readonly ProviderDefinition[] = []): Readonly<Record<string, EngineDefinition>> {
  return { ...nativeEngines, ...providerEngines(providers) };
}

/** Vault's `auth` envelope. */
export interface AuthEnvelope {
  client_token: string;
  accessor: string;
  policies: string[];
  token_policies: string[];
  metadata: Record<string, string>;
  lease_duration: number;
  renewable: boolean;
  entity_id: string;
  orphan: boolean;
}

export interface LoginInput {
  /** Auth mount path, with or without the trailing slash. */
  mount: string;
  body: JsonObject;
  clientAddress: string | null;
  requestId: string;
  signal: AbortSignal;
}

export interface KeygateCore {
  readonly config: Config;
  readonly runtime: Runtime;
  readonly version: string;
  readonly barrier: Barrier;
  /** True once everything behind the barrier is loaded after an unseal (readiness waits for it). */
  readonly loaded: boolean;
  /** Initialisation, unseal, rekey, root generation, rewrap and root-key rotation. */
  readonly seals: SealManager;
  readonly storage: ManagedStorage;
  readonly mounts: MountManager;
  readonly authMounts: MountManager;
  readonly tokens: TokenStore;
  readonly entities: EntityStore;
  readonly policies: PolicyStore;
  readonly authorizer: PolicyAuthorizer;
  readonly limiter: LoginLimiter;
  readonly audit: AuditBroker;
  readonly scheduler: Scheduler;
  readonly mountHealth: MountHealth;
  /** Secret backends: policy paths are the logical paths (actions and metadata as docs/policies.md says). */
  readonly pipeline: Pipeline;
  /** The read-through cache of the secret pipeline (docs/cache.md); cleared on seal. */
  readonly readCache: ReadCache;
  /** Where writes publish invalidations and purges go (reaches every replica on a shared bus). */
  readonly invalidations: InvalidationBus;
  /** Auth-method management paths: policy paths `auth/<mount>/…`. */
  readonly authPipeline: Pipeline;
  /** The caller from the request's token. Throws `ERR_UNAUTHENTICATED` (one message) or `ERR_SEALED`. */
  authenticate(headers: RequestHeaders, clientAddress: string | null): Promise<{ principal: Principal; token: TokenRecord }>;
  /** The principal a token record stands for. */
  principalOf(token: TokenRecord): Promise<Principal>;
  /** Logs in through an auth mount and issues a token. Throws `ERR_UNAUTHENTICATED`, `ERR_RATE_LIMITED`, `ERR_UNSUPPORTED_PATH`. */
  login(input: LoginInput): Promise<AuthEnvelope>;
  /** Vault's `auth` envelope for an issued token. */
  envelope(token: string, record: TokenRecord): AuthEnvelope;
  /** Seals: forgets keys, drops routes and cached credentials; no automatic unseal until a restart or shares. */
  seal(): Promise<void>;
}

export interface StartResult {
  /** True when this start initialised the store (dev seals) and handed the root token to `onRootToken`. */
  initialized: boolean;
}

/** Assembles a Keygate core. Nothing starts until `start()`. */
export function createKeygateCore(deps: KeygateDeps): KeygateCore & { start(): Promise<StartResult>; close(): Promise<void> } {
  const { config, runtime, storage } = deps;
  const barrier = createBarrier({
    storage,
    runtime,
    maxEncryptions: config.keyring.max_encryptions,
    ...(deps.aesGcm === undefined ? {} : { aesGcm: deps.aesGcm }),
    onBackgroundError: (what, err) => runtime.logger.error({ code: err instanceof GatewayError ? err.code : 'error' }, `${what} failed`),
  });
  const sys: Storage = barrier.view('sys/');
  const tokens = createTokenStore({
    storage: sys,
    runtime,
    settings: { defaultTtlMs: parseDuration(config.tokens.default_ttl) ?? 0, maxTtlMs: parseDuration(config.tokens.max_ttl) ?? 0 },
    ...deps.tokenSync,
  });
  const entities = createEntityStore({ storage: sys, runtime });
  const audit = createAuditBroker({
    storage: sys,
    runtime,
    sinks: deps.auditSinks ?? {},
    ...(deps.auditSpoolRoot === undefined ? {} : { spoolRoot: deps.auditSpoolRoot }),
    ...(deps.auditDigests === undefined ? {} : { digests: deps.auditDigests }),
  });
  const policies = createPolicyStore({ storage: sys, runtime });
  const authorizer = createPolicyAuthorizer({ store: policies });
  const windowMs = parseDuration(config.login_limits.window) ?? 60_000;
  const limiter = createLoginLimiter({
    runtime,
    perIdentity: { max: config.login_limits.failures_per_identity, windowMs },
    perAddress: { max: config.login_limits.failures_per_address, windowMs },
  });
  const engines = deps.engines ?? nativeEngines;
  const invalidations = deps.invalidationBus ?? createInProcessBus({ onHandlerError: () => runtime.logger.error('cache invalidation handler failed') });
  const readCache = createReadCache({
    maxEntries: config.cache.max_entries,
    maxBytes: config.cache.max_bytes,
    maxEntryBytes: config.cache.max_entry_bytes,
    now: () => runtime.now(),
    bus: invalidations,
  });
  const publishFailed = (err: unknown) =>
    runtime.logger.warn({ code: err instanceof GatewayError ? err.code : 'error' }, 'cache invalidation could not reach other replicas; their entries expire by TTL');
  const mounts = createMountManager({
    sysStorage: sys,
    mountStorage: (id) => barrier.view(mountDataPrefix(id)),
    types: Object.keys(engines),
    reserved: RESERVED_PREFIXES,
    runtime,
    // Native KV, cloud stores (the types that are not native engines), and the rest (off unless a mount asks).
    cacheDefaultTtlMs: (type) => (type === 'kv' ? DEFAULT_CACHE_TTL_MS.kv : Object.hasOwn(nativeEngines, type) ? DEFAULT_CACHE_TTL_MS.other : DEFAULT_CACHE_TTL_MS.cloud),
    onRemoved: (entry) => {
      invalidations.publish({ kind: 'mount', mountId: entry.id }).catch(publishFailed);
    },
    createBackend: (entry, mountStorage) => {
      const definition = engines[entry.type];
      if (definition === undefined) throw new GatewayError('ERR_VALIDATION', 'unknown mount type');
      return instantiateEngine(definition, { storage: mountStorage, runtime, options: entry.options });
    },
  });
  const authMounts = createMountManager({
    sysStorage: sys,
    tableKey: 'auth-mounts',
    mountStorage: (id) => barrier.view(authMountDataPrefix(id)),
    types: Object.keys(authMethods),
    reserved: ['token'],
    runtime,
    createBackend: (entry, mountStorage) => {
      const definition = authMethods[entry.type];
      if (definition === undefined) throw new GatewayError('ERR_VALIDATION', 'unknown auth method type');
      return instantiateEngine(definition, { storage: mountStorage, runtime, options: entry.options });
    },
  });
  const pipeline = createPipeline({
    table: () => mounts.table(),
    audit,
    now: () => runtime.now(),
    ...(config.cache.enabled ? { cache: { cache: readCache, bus: invalidations, onPublishError: publishFailed } } : {}),
    authorize: (principal, op, path, data) => {
      const request = policyRequestFor(op, path);
      return authorizer.authorize(principal, request.path, request.capability, { data });
    },
  });
  const authPipeline = createPipeline({
    table: () => authMounts.table(),
    audit,
    now: () => runtime.now(),
    authorize: (principal, op, path, data) => {
      const policyPath = op === 'list' ? `auth/${path}/` : `auth/${path}`;
      return authorizer.authorize(principal, policyPath, capabilityFor(op), { data });
    },
  });

  const rotationInterval = config.keyring.rotation_interval === undefined ? null : parseDuration(config.keyring.rotation_interval);
  const scheduler = createScheduler({
    mounts,
    pipeline,
    runtime,
    ...(rotationInterval === null || rotationInterval === 0 ? {} : { keyring: { barrier, intervalMs: rotationInterval } }),
  });
  const mountHealth = createMountHealth({ mounts, runtime });

  /**
   * The principal of each token record, kept while the record lives: a cached token's record
   * is the same object on every request (records are replaced, never changed), so its
   * principal is too, and what is derived from it per principal (the audit record's `auth`
   * block) is built once. Rebuilt when the entity behind it changed (the entity store hands
   * out a new view per call over a stored entity that is replaced on every change).
   */
  const principals = new WeakMap<TokenRecord, Principal>();
  const principalOf = async (record: TokenRecord): Promise<Principal> => {
    const entity = record.entity_id === '' ? null : await entities.get(record.entity_id);
    const known = principals.get(record);
    if (known !== undefined && sameEntity(known.entity ?? null, entity)) return known;
    const principal: Principal = Object.freeze({
      id: record.entity_id === '' ? record.accessor : record.entity_id,
      displayName: record.display_name,
      policies: record.policies,
      accessor: record.accessor,
      expiresAt: record.expires_at === 0 ? null : record.expires_at,
      metadata: record.meta,
      ...(entity === null ? {} : { entity }),
    });
    principals.set(record, principal);
    return principal;
  };

  const envelope = (token: string, record: TokenRecord): AuthEnvelope => ({
    client_token: token,
    accessor: record.accessor,
    policies: record.policies,
    token_policies: record.policies,
    metadata: record.meta,
    lease_duration: record.expires_at === 0 ? 0 : Math.max(0, Math.round((record.expires_at - runtime.now()) / 1000)),
    renewable: record.renewable,
    entity_id: record.entity_id,
    orphan: record.parent === '',
  });

  const issueRootToken = async (deliver: (token: string) => Promise<void>): Promise<string> => {
    // A start interrupted after issuing a root token but before handing it over leaves one nobody holds: revoke it.
    const pending = await sys.get(PENDING_ROOT_KEY);
    if (pending !== null) {
      const stale = await tokens.lookupAccessor(fromUtf8(pending));
      if (stale !== null) await tokens.revoke(stale);
    }
    const { token, record } = await tokens.create({ policies: ['root'], displayName: 'root', path: 'auth/token/root', neverExpires: true });
    await sys.put(PENDING_ROOT_KEY, utf8(record.accessor));
    await deliver(token);
    await sys.put(INIT_MARKER_KEY, utf8(JSON.stringify({ completed_time: new Date(runtime.now()).toISOString() })));
    await sys.delete(PENDING_ROOT_KEY);
    return token;
  };

  /**
   * Loads what lives behind the barrier. A store that never handed over its root token (a
   * fresh one, or an interrupted start) issues one to `deliver`; without `deliver` (an
   * API-initialised store whose init response was lost) it says how to recover instead.
   */
  let loaded = false;
  const afterUnseal = async (deliver: ((token: string) => Promise<void>) | undefined): Promise<string | null> => {
    await tokens.open();
    let issued: string | null = null;
    if ((await sys.get(INIT_MARKER_KEY)) === null) {
      if (deliver !== undefined) issued = await issueRootToken(deliver);
      else runtime.logger.error('this store never handed over its root token (its initialisation was interrupted): generate one with sys/generate-root, or wipe the storage and initialise again');
    }
    await mounts.load(config.mounts);
    await authMounts.load(config.auth.map((a) => ({ path: a.path, type: a.type, description: a.description, options: {} })));
    await audit.load(config.audit);
    await applyDeclared();
    // Cloud mounts check their configuration in the background: a slow cloud must not delay the start.
    mountHealth.checkAll().catch(() => undefined);
    scheduler.start();
    loaded = true;
    return issued;
  };

  /** Unloads everything behind the barrier and forgets the keys. */
  const unload = async (): Promise<void> => {
    loaded = false;
    scheduler.stop();
    mountHealth.clear();
    // The devices' newest chain heads are stored while the barrier can still write them:
    // after it seals, only the records of requests still in flight can follow them. A
    // device whose sink is down holds this up to its write deadline.
    await audit.flush();
    // Decrypted answers go with the keys (nothing awaited between the two).
    readCache.clear();
    barrier.seal();
    await tokens.close();
    entities.reset();
    await audit.unload();
    await mounts.unload();
    await authMounts.unload();
  };

  const seals = createSealManager({
    barrier,
    sys,
    runtime,
    setup: deps.seals,
    afterUnseal,
    beforeSeal: unload,
    createRootToken: async () => (await tokens.create({ policies: ['root'], displayName: 'root', path: 'auth/token/root', neverExpires: true })).token,
    ...(deps.onRootToken === undefined ? {} : { onRootToken: deps.onRootToken }),
  });

  /** Writes the policies and auth method settings the config file declares (as root, through the backends' own validation). */
  const applyDeclared = async (): Promise<void> => {
    for (const [name, text] of Object.entries(config.policies)) await policies.put(name, text);
    const root: Principal = { id: 'config', displayName: 'config', policies: ['root'], expiresAt: null };
    for (const [i, mount] of config.auth.entries()) {
      const path = mount.path.replace(/\/?$/, '/');
      const writes: [string, JsonObject][] = [];
      if (mount.config !== undefined) writes.push([mount.type === 'aws' ? 'config/client' : 'config', mount.config]);
      for (const [role, body] of Object.entries(mount.roles ?? {})) writes.push([`role/${role}`, body]);
      for (const [relative, data] of writes) {
        try {
          await authPipeline.handle({ operation: 'update', path: `${path}${relative}`, data, params: {}, preconditions: {}, principal: root, requestId: 'config', signal: AbortSignal.timeout(30_000) });
        } catch (err) {
          if (err instanceof ValidationError) {
            throw new ValidationError(`auth.${i} (${path}${relative}): ${err.message}`, (err.details ?? []).map((d) => ({ field: `auth.${i}.${relative.startsWith('role/') ? `roles.${relative.slice(5)}` : 'config'}.${d.field}`, reason: d.reason })));
          }
          throw err;
        }
      }
    }
  };

  const login = async (input: LoginInput): Promise<AuthEnvelope> => {
    const mountPath = input.mount.replace(/\/?$/, '/');
    const match = authMounts.table().match(`${mountPath}login`);
    if (match === null || match.mount.path !== mountPath || match.relativePath !== 'login') {
      throw new GatewayError('ERR_UNSUPPORTED_PATH', 'no auth method is mounted there');
    }
    const claimed = input.body.role ?? input.body.role_id ?? '';
    const keys = { mount: mountPath, identity: typeof claimed === 'string' ? claimed : '', address: input.clientAddress };
    limiter.check(keys);
    const anonymous: Principal = { id: 'anonymous', displayName: 'anonymous', policies: [], expiresAt: null };
    const request: AuditEvent = {
      type: 'request',
      time: runtime.now(),
      requestId: input.requestId,
      operation: 'login',
      path: `auth/${mountPath}login`,
      mount: { path: match.mount.path, type: match.mount.type },
      clientAddress: input.clientAddress,
      principal: null,
      requestData: input.body,
      params: {},
    };
    // The attempt is on record before the credentials are checked: failed logins are what SIEMs look for.
    await audit.logRequest(request);
    let auth: AuthResult | undefined;
    try {
      const response = await match.engine.handle({
        operation: 'update',
        path: `${mountPath}login`,
        data: input.body,
        params: {},
        preconditions: {},
        principal: anonymous,
        requestId: input.requestId,
        signal: input.signal,
        clientAddress: input.clientAddress,
        mount: match.mount,
        relativePath: 'login',
      });
      auth = response.auth;
    } catch (err) {
      if (err instanceof UnauthenticatedError) limiter.failure(keys);
      throw err;
    }
    if (auth === undefined) throw new GatewayError('ERR_INTERNAL', 'auth method returned no auth');
    limiter.success(keys);
    const accessor = mountAccessor(match.mount);
    const entity = await entities.resolve({ accessor, type: match.mount.type }, auth.alias.name, auth.alias.metadata);
    // An auth method can never grant root.
    const granted = auth.policies.filter((p) => p !== 'root');
    const { token, record } = await tokens.create({
      policies: auth.noDefaultPolicy === true ? granted : [...granted, 'default'],
      meta: auth.metadata,
      displayName: auth.displayName,
      entityId: entity.id,
      path: `auth/${mountPath}login`,
      mountAccessor: accessor,
      ...(auth.ttlMs === undefined ? {} : { ttlMs: auth.ttlMs }),
      ...(auth.maxTtlMs === undefined ? {} : { explicitMaxTtlMs: auth.maxTtlMs }),
      ...(auth.periodMs === undefined ? {} : { periodMs: auth.periodMs }),
      ...(auth.numUses === undefined ? {} : { numUses: auth.numUses }),
      ...(auth.boundCidrs === undefined ? {} : { boundCidrs: auth.boundCidrs }),
    });
    const result = envelope(token, record);
    await audit.logResponse({ ...request, type: 'response', time: runtime.now(), principal: await principalOf(record), responseData: { auth: { ...result } }, status: 200 });
    return result;
  };

  const core = {
    config,
    runtime,
    version: deps.version,
    barrier,
    get loaded() {
      return loaded && !barrier.sealed;
    },
    seals,
    storage,
    mounts,
    authMounts,
    tokens,
    entities,
    policies,
    authorizer,
    limiter,
    audit,
    scheduler,
    mountHealth,
    pipeline,
    readCache,
    invalidations,
    authPipeline,
    principalOf,
    envelope,
    login,

    async authenticate(headers: RequestHeaders, clientAddress: string | null) {
      // Until everything behind the barrier is loaded (audit devices, declared policies), no
      // request is served: one answered in between would go unaudited (fail closed).
      if (!loaded || barrier.sealed) throw new GatewayError('ERR_SEALED', 'Keygate is sealed');
      const token = await tokens.verify(tokenFrom(headers), clientAddress);
      return { principal: await principalOf(token), token };
    },

    async seal() {
      await seals.seal();
    },

    async start(): Promise<StartResult> {
      await storage.ping();
      return seals.start();
    },

    async close() {
      await unload();
      await seals.close();
      await storage.close();
      readCache.close();
      // A bus handed in belongs to whoever made it.
      if (deps.invalidationBus === undefined) await invalidations.close?.();
    },
  };
  return core;
}

/** Whether two entity views show the same stored entity: the same fields, the same metadata and aliases objects. */
function sameEntity(a: Entity | null, b: Entity | null): boolean {
  if (a === null || b === null) return a === b;
  return a.id === b.id && a.name === b.name && a.metadata === b.metadata && a.aliases === b.aliases;
}
