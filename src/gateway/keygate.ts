/**
 * Wiring: builds the barrier, the mount table, authentication and the pipeline from narrow
 * dependencies, and owns the seal lifecycle. Runtime-neutral: the Node entry hands in
 * SQLite storage, the key-file seal and a pino logger; tests hand in memory storage.
 */

import { GatewayError, utf8 } from '../core/index.js';
import type { ManagedStorage, Runtime, Storage } from '../core/index.js';
import { createRootTokenAuthenticator } from '../auth/index.js';
import type { RootTokenAuthenticator } from '../auth/index.js';
import { createBarrier } from '../barrier/index.js';
import type { Barrier, KeyWrapper } from '../barrier/index.js';
import { instantiateEngine, nativeEngines } from '../native-engines/index.js';
import { createRootOnlyAuthorizer } from '../policy/index.js';
import type { Config } from './config.js';
import { createMountManager, mountDataPrefix } from './mounts.js';
import type { MountManager } from './mounts.js';
import { createPipeline } from './pipeline.js';
import type { Pipeline } from './pipeline.js';

/** Marks that initialisation finished, root token handed over; its absence means a start was interrupted. */
const INIT_MARKER_KEY = 'init';

export interface KeygateDeps {
  config: Config;
  storage: ManagedStorage;
  runtime: Runtime;
  version: string;
  /** The configured seal: initialises, and unseals at start. */
  seal: KeyWrapper;
  /** Builds a seal from key material submitted to `POST sys/unseal`; absent: that endpoint refuses. */
  sealFromKey?: (key: Uint8Array) => KeyWrapper | null;
  /** Receives the root token created at initialisation (the Node entry writes it to a 0600 file). Must not log it. */
  onRootToken?: (token: string) => Promise<void>;
}

export interface KeygateCore {
  readonly config: Config;
  readonly runtime: Runtime;
  readonly version: string;
  readonly sealType: string;
  readonly barrier: Barrier;
  readonly mounts: MountManager;
  readonly auth: RootTokenAuthenticator;
  readonly pipeline: Pipeline;
  readonly storage: ManagedStorage;
  /** Unseals with submitted key material. Throws `ERR_UNSEAL_FAILED` (opaque), `ERR_BAD_REQUEST` when this seal takes no key. */
  unsealWithKey(key: Uint8Array): Promise<void>;
  /** Seals: forgets keys, drops routes and cached credentials. */
  seal(): Promise<void>;
}

export interface StartResult {
  /** True when this start initialised a new store (and handed a new root token to `onRootToken`). */
  initialized: boolean;
}

/** Assembles a Keygate core. Nothing starts until `start()`. */
export function createKeygateCore(deps: KeygateDeps): KeygateCore & { start(): Promise<StartResult>; close(): Promise<void> } {
  const { config, runtime, storage } = deps;
  const barrier = createBarrier({ storage, runtime });
  const sys: Storage = barrier.view('sys/');
  const auth = createRootTokenAuthenticator({ storage: sys, runtime });
  const mounts = createMountManager({
    sysStorage: sys,
    mountStorage: (id) => barrier.view(mountDataPrefix(id)),
    types: Object.keys(nativeEngines),
    runtime,
    createBackend: (entry, mountStorage) => {
      const definition = nativeEngines[entry.type];
      if (definition === undefined) throw new GatewayError('ERR_VALIDATION', 'unknown mount type');
      return instantiateEngine(definition, { storage: mountStorage, runtime, options: entry.options });
    },
  });
  const pipeline = createPipeline({ table: () => mounts.table(), authorizer: createRootOnlyAuthorizer() });

  /** Loads what lives behind the barrier; finishes an interrupted initialisation. True when it issued a root token. */
  const afterUnseal = async (): Promise<boolean> => {
    auth.reset();
    const issue = (await sys.get(INIT_MARKER_KEY)) === null;
    if (issue) await issueRootToken();
    await mounts.load(config.mounts);
    return issue;
  };

  const issueRootToken = async (): Promise<void> => {
    const token = await auth.generate({ replace: true });
    await deps.onRootToken?.(token);
    await sys.put(INIT_MARKER_KEY, utf8(JSON.stringify({ completed_time: new Date(runtime.now()).toISOString() })));
  };

  const core = {
    config,
    runtime,
    version: deps.version,
    sealType: deps.seal.type,
    barrier,
    mounts,
    auth,
    pipeline,
    storage,

    async unsealWithKey(key: Uint8Array) {
      const seal = deps.sealFromKey?.(key) ?? null;
      if (seal === null) throw new GatewayError('ERR_BAD_REQUEST', 'this seal type does not take an unseal key');
      if (!barrier.sealed) return;
      await barrier.unseal(seal);
      await afterUnseal();
    },

    async seal() {
      barrier.seal();
      auth.reset();
      await mounts.unload();
    },

    async start(): Promise<StartResult> {
      await storage.ping();
      if (await barrier.isInitialized()) {
        await barrier.unseal(deps.seal);
      } else {
        await barrier.initialize(deps.seal);
        runtime.logger.info({ seal: deps.seal.type }, 'initialised a new Keygate store');
      }
      return { initialized: await afterUnseal() };
    },

    async close() {
      await core.seal();
      await storage.close();
    },
  };
  return core;
}
