/**
 * A KV mount for tests (not exported from the folder): the engine over the Storage a test
 * passes in (the reference memory storage), a hand-driven clock, and short-hands for calls.
 */

import { revealingStringify } from '../../core/index.js';
import type { GatewayError } from '../../core/index.js';
import type { Engine, JsonObject, Operation, OperationResponse, Storage } from '../../core/index.js';
import { instantiateEngine } from '../framework/instantiate.js';
import { backendRequest, createTestRuntime, dumpStorageText, gatewayFailure } from '../test-support.js';
import type { RequestInit, TestRuntime } from '../test-support.js';
import { kvEngine } from './engine.js';

/** A mounted KV engine and what it runs on. */
export interface KvHarness {
  engine: Engine;
  storage: Storage;
  runtime: TestRuntime;
  call(operation: Operation, path: string, init?: RequestInit): Promise<OperationResponse>;
  /** Writes `data` at `path` (operation `update`). */
  write(path: string, data: JsonObject, init?: Omit<RequestInit, 'data'>): Promise<OperationResponse>;
  /** Reads `path` and returns the revealed secret. */
  readSecret(path: string, params?: Record<string, string>): Promise<JsonObject>;
  /** The error `promise` rejects with (fails the test if it resolves or throws something else). */
  failure(promise: Promise<unknown>): Promise<GatewayError>;
  /** Every stored key below `prefix`, decoded as UTF-8 (memory storage holds plaintext: no barrier here). */
  dump(): Promise<Map<string, string>>;
}

/** Everything a response would put on the wire, secrets revealed. */
export function revealed(response: OperationResponse): JsonObject {
  const parsed: unknown = JSON.parse(revealingStringify(response));
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? Object.fromEntries(Object.entries(parsed)) : {};
}

/** Mounts KV on `storage` with `options`. */
export function createKvHarness(storage: Storage, options: unknown = {}, runtime: TestRuntime = createTestRuntime()): KvHarness {
  const engine = instantiateEngine(kvEngine, { storage, runtime, options });
  const call = (operation: Operation, path: string, init: RequestInit = {}) => engine.handle(backendRequest(operation, path, init));
  return {
    engine,
    storage,
    runtime,
    call,
    write: (path, data, init = {}) => call('update', path, { ...init, data }),
    async readSecret(path, params = {}) {
      const response = await call('read', path, { params });
      const data = revealed(response).data;
      return typeof data === 'object' && data !== null && !Array.isArray(data) ? data : {};
    },
    failure: gatewayFailure,
    dump: () => dumpStorageText(storage),
  };
}
