/** The transit engine's typed declaration kit, per-mount state, and helpers every operation shares. */

import { ValidationError } from '../../core/index.js';
import { engineKit } from '../framework/engine-kit.js';
import type { HandlerContext, PathContext, SetupContext } from '../framework/types.js';
import { createKeyRing } from './key-ring.js';
import type { KeyRing } from './key-ring.js';
import type { TransitOptions } from './options.js';

/** Per-mount state, built once by `setup`. */
export interface TransitState {
  keys: KeyRing;
}

/** Builds a mount's state. */
export function createTransitState(ctx: SetupContext<TransitOptions>): TransitState {
  return { keys: createKeyRing(ctx.storage, ctx.runtime, ctx.options) };
}

/** The declaration helpers bound to transit's options and state. */
export const transit = engineKit<TransitOptions, TransitState>();

/** What every transit handler receives, whatever its body and query. */
export type TransitContext<Body = unknown, Query = unknown> = HandlerContext<TransitOptions, TransitState, Body, Query>;

/** What transit's existence checks receive. */
export type TransitPathContext = PathContext<TransitOptions, TransitState>;

// Vault's GenericNameRegex: word characters, with `-`, `.` and `@` inside; bounded here.
const KEY_NAME = /^\w(?:[\w.@-]{0,126}\w)?$/;

/** True for a valid key name. */
export function isKeyName(name: string): boolean {
  return KEY_NAME.test(name);
}

/** The key name captured by the path (`{name}`); throws `ValidationError` when it is not a valid name. */
export function keyNameOf(ctx: TransitPathContext, param = 'name'): string {
  const name = ctx.params[param] ?? '';
  if (!isKeyName(name)) {
    throw new ValidationError('invalid key name', [
      { field: param, reason: 'must be 1 to 128 letters, digits, "_", "-", "." or "@", starting and ending with a letter, digit or "_"' },
    ]);
  }
  return name;
}
