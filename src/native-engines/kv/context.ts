/** The KV engine's typed declaration kit, per-mount state, and helpers every operation shares. */

import { ValidationError } from '../../core/index.js';
import { engineKit } from '../framework/engine-kit.js';
import type { HandlerContext, PathContext } from '../framework/types.js';
import { createKeyedMutex } from '../framework/keyed-mutex.js';
import type { KeyedMutex } from '../framework/keyed-mutex.js';
import type { KvOptions } from './options.js';

/** Per-mount state, built once by `setup`. */
export interface KvState {
  /** Serialises writers per secret path within this process. */
  locks: KeyedMutex;
}

/** Builds a mount's state. */
export function createKvState(): KvState {
  return { locks: createKeyedMutex() };
}

/** The declaration helpers bound to KV's options and state. */
export const kv = engineKit<KvOptions, KvState>();

/** What every KV handler receives, whatever its body and query. */
export type KvContext<Body = unknown, Query = unknown> = HandlerContext<KvOptions, KvState, Body, Query>;

/** What KV's existence check receives. */
export type KvPathContext = PathContext<KvOptions, KvState>;

/** The secret path addressed: the whole relative path. */
export function pathOf(ctx: KvPathContext): string {
  return ctx.req.relativePath;
}

/** The secret path addressed; throws `ValidationError` at the mount root, which names no secret. */
export function requireSecretPath(ctx: KvPathContext): string {
  const p = pathOf(ctx);
  if (p === '') {
    throw new ValidationError('a secret path is required', [{ field: 'path', reason: 'a secret path is required' }]);
  }
  return p;
}

/** The current time as the runtime tells it. */
export function nowOf(ctx: KvPathContext): number {
  return ctx.runtime.now();
}
