/**
 * The gateway's scheduler: periodic jobs that run while unsealed, through the same pipeline
 * (so they are authorized and audited like any request) as the `system` principal: transit
 * keys' `auto_rotate_period`, whatever backends report as due (`Engine.due`: cloud
 * secrets past their rotation interval), and the barrier keyring's `rotation_interval`.
 * Every replica runs it; the jobs are idempotent (a key due for rotation is rotated once
 * under the engine's per-key lock; see docs/engines/transit.md). The keyring job first picks up terms
 * other replicas added, so replicas rarely both rotate; when they do, the cost is one spare
 * term (every term keeps decrypting).
 */

import { unrefTimer } from '../core/index.js';
import type { Operation, Principal, Runtime } from '../core/index.js';
import type { Barrier } from '../barrier/index.js';
import type { MountManager } from './mounts.js';
import type { Pipeline } from './pipeline.js';

const SYSTEM: Principal = { id: 'system', displayName: 'scheduler', policies: ['root'], expiresAt: null };

export interface Scheduler {
  start(): void;
  stop(): void;
  /** Runs every job once now (tests; also the first tick after start). */
  runOnce(): Promise<void>;
}

export interface KeyringRotation {
  barrier: Pick<Barrier, 'sealed' | 'status' | 'rotate' | 'flushUsage'>;
  /** Rotate the active term once it is this old (ms). */
  intervalMs: number;
}

export function createScheduler(deps: {
  mounts: MountManager;
  pipeline: Pipeline;
  runtime: Pick<Runtime, 'randomUUID' | 'logger' | 'now'>;
  intervalMs?: number;
  keyring?: KeyringRotation;
}): Scheduler {
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

  /** The keyring's `rotation_interval`: a new term once the active one is old enough. */
  const rotateKeyring = async (): Promise<void> => {
    const job = deps.keyring;
    if (job === undefined || job.intervalMs <= 0 || job.barrier.sealed) return;
    try {
      // Refreshes this process's view of the keyring: another replica may have rotated already.
      await job.barrier.flushUsage();
      const status = job.barrier.status();
      if (status === null || deps.runtime.now() - status.installedAt < job.intervalMs) return;
      const next = await job.barrier.rotate();
      deps.runtime.logger.info({ term: next.term }, 'keyring term rotated (rotation_interval)');
    } catch (err) {
      deps.runtime.logger.warn({ code: err instanceof Error && 'code' in err ? String(err.code) : 'error' }, 'scheduled keyring rotation failed');
    }
  };

  const runOnce = (): Promise<void> => {
    // One run at a time: a slow run is not stacked on.
    running ??= Promise.all([rotateTransitKeys(), runDueWork(), rotateKeyring()]).then(() => undefined).finally(() => {
      running = null;
    });
    return running;
  };

  return {
    start() {
      if (timer !== null) return;
      timer = setInterval(() => void runOnce(), deps.intervalMs ?? 60_000);
      unrefTimer(timer);
    },
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
    runOnce,
  };
}
