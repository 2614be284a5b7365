/** AppRole's typed declaration kit, per-mount state, and the context every handler sees. */

import { z } from 'zod';
import { createKeyedMutex, engineKit } from '../../../native-engines/framework/index.js';
import type { HandlerContext, KeyedMutex, PathContext } from '../../../native-engines/framework/index.js';
import type { Runtime, Storage } from '../../../core/index.js';
import { createMountHmac } from './mount-hmac.js';
import type { MountHmac } from './mount-hmac.js';

/** AppRole mounts take no options. */
export const approleOptionsSchema = z.strictObject({});

/** Validated (empty) AppRole mount options. */
export type ApproleOptions = z.output<typeof approleOptionsSchema>;

/** Per-mount state, built once by `setup`. */
export interface ApproleState {
  /**
   * Serialises, within this process: writers of one role (`role:<name>`), the role-id
   * index (`role-id`), and each secret id's use count (`secret-id:<key>`). Locks are taken
   * in that order only, so they cannot deadlock.
   */
  locks: KeyedMutex;
  hmac: MountHmac;
}

/** Builds a mount's state; does no I/O (the HMAC key loads on first use). */
export function createApproleState(deps: { storage: Storage; runtime: Runtime }): ApproleState {
  return { locks: createKeyedMutex(), hmac: createMountHmac(deps) };
}

/** The declaration helpers bound to AppRole's options and state. */
export const approle = engineKit<ApproleOptions, ApproleState>();

/** What every AppRole handler receives, whatever its body and query. */
export type ApproleContext<Body = unknown, Query = unknown> = HandlerContext<ApproleOptions, ApproleState, Body, Query>;

/** What AppRole's existence checks receive. */
export type ApprolePathContext = PathContext<ApproleOptions, ApproleState>;

/** The lock name for writers of role `name`. */
export function roleLock(name: string): string {
  return `role:${name}`;
}

/** The lock name of the role-id index. */
export const ROLE_ID_LOCK = 'role-id';

/** The lock name for one secret id's record (by storage key). */
export function secretIdLock(key: string): string {
  return `secret-id:${key}`;
}
