/**
 * The gateway's scheduler: periodic jobs that run while unsealed, through the same pipeline
 * (so they are authorized and audited like any request) as the `system` principal: transit
 * keys' `auto_rotate_period`, and whatever backends report as due (`Engine.due`: cloud
 * secrets past their rotation interval). Every replica runs it; the jobs are idempotent (a
 * key due for rotation is rotated once under the engine's per-key lock; see decision 0009).
 */

import type { Operation, Principal, Runtime } from '../core/index.js';
import type { MountManager } from './mounts.js';
import type { Pipeline } from './pipeline.js';

const SYSTEM: Principal = { id: 'system', displayName: 'scheduler', policies: ['root'], expiresAt: null };

export interface Scheduler {
  start(): void;
  stop(): void;
  /** Runs every job once now (tests; also the first tick after start). */
  runOnce(): Promise<void>;
}

export function createScheduler(deps: { mounts: MountManager; pipeline: Pipeline; runtime: Pick<Runtime, 'randomUUID' | 'logger' | 'now'>; intervalMs?: number }): Scheduler {
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

  /** Work the backends report as due (e.g. cloud secrets past their rotation interval), run through the pipeline. */
  const runDueWork = async (): Promise<void> => {
    for (const route of deps.mounts.table().routes()) {
      if (route.engine.due === undefined) continue;
      let items: { operation: Operation; relativePath: string }[];
      try {
        items = await route.engine.due(deps.runtime.now(), 100, AbortSignal.timeout(60_000));
      } catch (err) {
        deps.runtime.logger.warn({ mount: route.mount.path, err: err instanceof Error ? err.name : 'error' }, 'scheduler could not list due work');
        continue;
      }
      for (const item of items) {
        try {
          await deps.pipeline.handle({
            operation: item.operation,
            path: `${route.mount.path}${item.relativePath}`,
            data: {},
            params: {},
            preconditions: {},
            principal: SYSTEM,
            requestId: deps.runtime.randomUUID(),
            signal: AbortSignal.timeout(120_000),
            clientAddress: null,
          });
        } catch (err) {
          deps.runtime.logger.warn({ mount: route.mount.path, operation: item.operation, code: err instanceof Error && 'code' in err ? String(err.code) : 'error' }, 'scheduled work failed');
        }
      }
    }
  };

  const runOnce = (): Promise<void> => {
    // One run at a time: a slow run is not stacked on.
    running ??= Promise.all([rotateTransitKeys(), runDueWork()]).then(() => undefined).finally(() => {
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
