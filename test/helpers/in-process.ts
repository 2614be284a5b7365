/**
 * An in-process Keygate over memory storage (or storage you pass), the static-key seal and
 * a capturing logger: the full app and pipeline, without a socket.
 */

import { createWebRuntime } from '../../src/core/index.js';
import type { ManagedStorage, Runtime } from '../../src/core/index.js';
import { createMemorySink } from '../../src/audit/index.js';
import type { MemorySink, SinkFactory } from '../../src/audit/index.js';
import { createStaticKeySeal } from '../../src/barrier/index.js';
import type { SealDefinition } from '../../src/barrier/index.js';
import { createSealSetup } from '../../src/gateway/seals.js';
import { createMemoryStorage } from '../../src/storage/index.js';
import { createApp } from '../../src/gateway/app.js';
import { parseConfig } from '../../src/gateway/config.js';
import { createKeygateCore, engineRegistry } from '../../src/gateway/keygate.js';
import { memoryProviderDefinition } from '../../src/providers/index.js';
import type { ProviderDefinition } from '../../src/providers/index.js';
import { createCaptureLogger } from './capture-logger.js';

export interface TestGatewayOptions {
  config?: Record<string, unknown>;
  /** Provider mount types (default: the memory provider as `memory-store`). */
  providers?: ProviderDefinition[];
  /** Audit sink factories by type; `memory` (backed by `sinks` below) is always there. */
  auditSinks?: Readonly<Record<string, SinkFactory>>;
  storage?: ManagedStorage;
  /** Seal key (32 bytes) of the dev seal; a random one by default. */
  key?: Uint8Array;
  /** KMS seal types; with them, `config.seal` may name KMS stanzas (default: the dev seal only). */
  sealTypes?: SealDefinition[];
  runtime?: Partial<Runtime>;
}

export interface SendOptions {
  token?: string | null;
  body?: unknown;
  /** Raw body text, sent as-is (overrides `body`). */
  rawBody?: string | Uint8Array<ArrayBuffer>;
  headers?: Record<string, string>;
}

export async function createTestGateway(options: TestGatewayOptions = {}) {
  const logger = createCaptureLogger();
  // The memory provider stands in for a cloud store; the cloud suites run against emulators.
  const engines = engineRegistry(options.providers ?? [memoryProviderDefinition]);
  const runtime = createWebRuntime({ logger, ...options.runtime });
  const storage = options.storage ?? createMemoryStorage();
  const key = options.key ?? runtime.randomBytes(32);
  const tokens: string[] = [];
  /** The memory audit sinks created, by device name. */
  const sinks = new Map<string, MemorySink>();
  const seal = (k: Uint8Array) => createStaticKeySeal({ key: k, subtle: runtime.subtle, randomBytes: runtime.randomBytes, type: 'dev-key-file' });
  const sealTypes = Object.fromEntries((options.sealTypes ?? []).map((d) => [d.type, d]));
  const config = parseConfig({ storage: { type: 'memory' }, ...options.config }, 'test', engines, sealTypes);
  // Every dev-key-file stanza uses `key`: tests that need two give them different names and keys through sealTypes.
  const seals = createSealSetup(config, { runtime, definitions: sealTypes, local: () => ({ wrapper: seal(key), fromKey: (k) => (k.length === 32 ? seal(k) : null) }) });
  const core = createKeygateCore({
    config,
    engines,
    storage,
    runtime,
    version: 'test',
    seals,
    onRootToken: async (token) => {
      tokens.push(token);
    },
    auditSinks: {
      memory: async (_options, ctx) => {
        const sink = sinks.get(ctx.name) ?? createMemorySink();
        sinks.set(ctx.name, sink);
        return sink;
      },
      ...options.auditSinks,
    },
    tokenSync: { pollMs: 20 },
  });
  const started = await core.start();
  const app = createApp(core);
  const rootToken = tokens[0] ?? '';

  /** Sends a request; `path` is the raw request target (kept un-normalised, as the Node entry does). */
  const send = async (method: string, path: string, opts: SendOptions = {}): Promise<Response> => {
    const headers: Record<string, string> = { ...opts.headers };
    const token = opts.token === undefined ? rootToken : opts.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | Uint8Array<ArrayBuffer> | undefined;
    if (opts.rawBody !== undefined) body = opts.rawBody;
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const request = new Request(`http://127.0.0.1${path}`, { method, headers, body });
    return app.fetch(request, { rawUrl: path });
  };

  /** Sends and parses: status, JSON body (or null), headers. */
  const call = async (method: string, path: string, opts: SendOptions = {}) => {
    const res = await send(method, path, opts);
    const text = await res.text();
    let json: any = null; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience over arbitrary response shapes
    if (text !== '') json = JSON.parse(text);
    return { status: res.status, body: json, text, headers: res.headers };
  };

  return { core, app, runtime, storage, key, rootToken, tokens, sinks, logs: logger.lines, started, send, call, close: () => core.close() };
}

export type TestGateway = Awaited<ReturnType<typeof createTestGateway>>;
