/**
 * Per-mount configuration checks (`Engine.validate`: cloud credentials, endpoints), run when
 * mounts load and on demand, and reported in `GET /api/v1/sys/mounts` and `/health`. A
 * failing cloud mount marks the gateway degraded, not unready: its other mounts still serve.
 */

import { isGatewayError } from '../core/index.js';
import type { Runtime } from '../core/index.js';
import type { MountManager } from './mounts.js';

export interface MountCheck {
  ok: boolean;
  /** Stable code of the failure (never the cloud's message). */
  error: string | null;
  checked_time: string;
}

export interface MountHealth {
  /** Checks every mount whose backend can be checked (bounded by `timeoutMs` each, in parallel). */
  checkAll(): Promise<void>;
  /** Checks one mount now. Returns null when the mount has nothing to check. */
  check(path: string): Promise<MountCheck | null>;
  /** The last result per mount path. */
  report(): Record<string, MountCheck>;
  clear(): void;
}

export function createMountHealth(deps: { mounts: MountManager; runtime: Pick<Runtime, 'now' | 'logger'>; timeoutMs?: number }): MountHealth {
  let results = new Map<string, MountCheck>();
  const run = async (path: string): Promise<MountCheck | null> => {
    const route = deps.mounts.table().routes().find((r) => r.mount.path === path);
    if (route?.engine.validate === undefined) return null;
    let result: MountCheck;
    try {
      await route.engine.validate(AbortSignal.timeout(deps.timeoutMs ?? 10_000));
      result = { ok: true, error: null, checked_time: new Date(deps.runtime.now()).toISOString() };
    } catch (err) {
      result = { ok: false, error: isGatewayError(err) ? err.code : 'ERR_UPSTREAM_UNAVAILABLE', checked_time: new Date(deps.runtime.now()).toISOString() };
      deps.runtime.logger.warn({ mount: path, code: result.error }, 'mount configuration check failed');
    }
    results.set(path, result);
    return result;
  };
  return {
    async checkAll() {
      await Promise.all(deps.mounts.list().map((m) => run(m.path)));
    },
    check: run,
    report: () => Object.fromEntries(results),
    clear() {
      results = new Map();
    },
  };
}
