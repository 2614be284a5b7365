/**
 * Builders shared by the native-engine tests (not exported from the folder): a backend
 * request as the router would hand it over, and a runtime with a controllable clock and a
 * logger that records every call, so tests can prove nothing secret is logged.
 */

import { GatewayError, createWebRuntime } from '../core/index.js';
import type { BackendRequest, JsonObject, Logger, Operation, Preconditions, Runtime, Storage } from '../core/index.js';
import { walkKeys } from '../storage/index.js';

/** Options of `backendRequest`. */
export interface RequestInit {
  data?: JsonObject;
  params?: Record<string, string>;
  preconditions?: Preconditions;
  mountPath?: string;
}

/** A request for `operation` on `relativePath` of a mount of `type`. */
export function backendRequest(operation: Operation, relativePath: string, init: RequestInit = {}, type = 'kv'): BackendRequest {
  const mountPath = init.mountPath ?? '';
  return {
    operation,
    path: mountPath + relativePath,
    relativePath,
    data: init.data ?? {},
    params: init.params ?? {},
    preconditions: init.preconditions ?? {},
    principal: { id: 'root', displayName: 'root', policies: ['root'], expiresAt: null },
    requestId: 'req-test',
    signal: new AbortController().signal,
    mount: { path: mountPath, id: 'mount-test', type },
  };
}

/** A runtime whose clock tests move by hand, and a logger that keeps what it was given. */
export interface TestRuntime extends Runtime {
  /** Sets the clock (ms since the epoch). */
  setNow(ms: number): void;
  /** Moves the clock forward. */
  advance(ms: number): void;
  /** Every logger call, serialised as the logger would have written it. */
  readonly logged: string[];
}

/** Creates a `TestRuntime` starting at `start` (default 2024-01-01T00:00:00.000Z). */
export function createTestRuntime(start = Date.UTC(2024, 0, 1)): TestRuntime {
  let now = start;
  const logged: string[] = [];
  const record = (...args: unknown[]): void => {
    logged.push(JSON.stringify(args));
  };
  const logger: Logger = { debug: record, info: record, warn: record, error: record, child: () => logger };
  const base = createWebRuntime({ now: () => now, logger });
  return {
    ...base,
    setNow(ms) {
      now = ms;
    },
    advance(ms) {
      now += ms;
    },
    logged,
  };
}

/** The `GatewayError` a promise rejects with; fails the test when it resolves or rejects with anything else. */
export async function gatewayFailure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

/** Every key in `storage` with its value decoded as UTF-8 (for canary searches in tests without a barrier). */
export async function dumpStorageText(storage: Pick<Storage, 'get' | 'list'>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const key of walkKeys(storage)) {
    const value = await storage.get(key);
    if (value !== null) out.set(key, new TextDecoder().decode(value));
  }
  return out;
}
