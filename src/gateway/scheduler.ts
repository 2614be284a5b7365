/**
 * The gateway's scheduler: periodic jobs that run while unsealed, through the same pipeline
 * (so they are authorized and audited like any request) as the `system` principal. Today:
 * transit keys' `auto_rotate_period`. Every replica runs it; the jobs are idempotent (a
 * key due for rotation is rotated once under the engine's per-key lock; see decision 0009).
 */

import type { Principal, Runtime } from '../core/index.js';
import type { MountManager } from './mounts.js';
import type { Pipeline } from './pipeline.js';

const SYSTEM: Principal = { id: 'system', displayName: 'scheduler', policies: ['root'], expiresAt: null };

export interface Scheduler {
  start(): void;
  stop(): void;
  /** Runs every job once now (tests; also the first tick after start). */
  runOnce(): Promise<void>;
}

export function createScheduler(deps: { mounts: MountManager; pipeline: Pipeline; runtime: Pick<Runtime, 'randomUUID' | 'logger'>; intervalMs?: number }): Scheduler {
  let timer: ReturnType<typeof setInterval> | null = null;
  let running: Promise<void> | null = null;

  const rotateTransitKeys = async (): Promise<void> => {
    for (const mount of deps.mounts.list().filter((m) => m.type === 'transit')) {
      try {
        await deps.pipeline.handle({
          operation: 'update',
          path: `${mount.path}auto-rotate`,
          data: {},
          params: {},
          preconditions: {},
          principal: SYSTEM,
          requestId: deps.runtime.randomUUID(),
          signal: AbortSignal.timeout(60_000),
          clientAddress: null,
        });
      } catch (err) {
        deps.runtime.logger.warn({ mount: mount.path, err: err instanceof Error ? err.name : 'error' }, 'scheduled transit key rotation failed');
      }
    }
  };

  const runOnce = (): Promise<void> => {
    // One run at a time: a slow run is not stacked on.
    running ??= rotateTransitKeys().finally(() => {
      running = null;
    });
    return running;
  };

  return {
    start() {
      if (timer !== null) return;
      timer = setInterval(() => void runOnce(), deps.intervalMs ?? 60_000);
      if (typeof timer === 'object' && timer !== null && 'unref' in timer && typeof timer.unref === 'function') timer.unref();
    },
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
    runOnce,
  };
}
