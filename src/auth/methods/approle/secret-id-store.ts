/**
 * Secret ids in an AppRole mount's storage: each stored only as its HMAC (the record's key
 * and its `hmac` field), with an accessor index. Every change to one record happens under
 * that record's lock, so a use count is never decremented twice for one value and a
 * deleted record is never written back by a login in flight.
 */

import { MAX_LIST_LIMIT, constantTimeEqual, utf8 } from '../../../core/index.js';
import { loadJson, saveJson } from '../../../native-engines/framework/stored-json.js';
import type { ApprolePathContext } from './context.js';
import { secretIdLock } from './context.js';
import { accessorKey, secretIdFolder, secretIdKey } from './layout.js';
import { storedAccessorSchema, storedSecretIdSchema } from './schemas.js';
import type { StoredSecretId } from './schemas.js';

/** A secret id record found by HMAC, with the key it lives at. */
export interface FoundSecretId {
  key: string;
  entry: StoredSecretId;
}

/** The record at `key`, or null; the stored HMAC must equal `hmac` (compared in constant time). */
async function readEntry(ctx: ApprolePathContext, key: string, hmac: string): Promise<StoredSecretId | null> {
  const entry = await loadJson(ctx.storage, key, storedSecretIdSchema, 'AppRole secret id');
  if (entry === null || !constantTimeEqual(utf8(entry.hmac), utf8(hmac))) return null;
  return entry;
}

/** The HMAC of a presented secret id. */
export function secretIdHmac(ctx: ApprolePathContext, secretId: string): Promise<string> {
  return ctx.state.hmac.hex('secret-id', secretId);
}

/** Whether a record has expired at `nowMs`. */
export function isExpired(entry: StoredSecretId, nowMs: number): boolean {
  return entry.expires_ms !== null && nowMs >= entry.expires_ms;
}

/** Stores a new record and its accessor index. */
export async function storeSecretId(ctx: ApprolePathContext, role: string, entry: StoredSecretId): Promise<void> {
  await saveJson(ctx.storage, accessorKey(role, entry.accessor), { hmac: entry.hmac });
  await saveJson(ctx.storage, secretIdKey(role, entry.hmac), entry);
}

/** The unexpired record of role `role` with HMAC `hmac`, or null. */
export async function findSecretId(ctx: ApprolePathContext, role: string, hmac: string): Promise<FoundSecretId | null> {
  const key = secretIdKey(role, hmac);
  const entry = await readEntry(ctx, key, hmac);
  if (entry === null || isExpired(entry, ctx.runtime.now())) return null;
  return { key, entry };
}

/** The HMAC an accessor of role `role` names, or null. */
export async function hmacForAccessor(ctx: ApprolePathContext, role: string, accessor: string): Promise<string | null> {
  const index = await loadJson(ctx.storage, accessorKey(role, accessor), storedAccessorSchema, 'AppRole accessor');
  return index?.hmac ?? null;
}

/**
 * Deletes the record of role `role` with HMAC `hmac` and its accessor, under the record's
 * lock. Returns whether a record was there.
 */
export function destroySecretId(ctx: ApprolePathContext, role: string, hmac: string): Promise<boolean> {
  const key = secretIdKey(role, hmac);
  return ctx.state.locks.run(secretIdLock(key), async () => {
    const entry = await loadJson(ctx.storage, key, storedSecretIdSchema, 'AppRole secret id');
    if (entry === null) return false;
    await ctx.storage.delete(key);
    await ctx.storage.delete(accessorKey(role, entry.accessor));
    return true;
  });
}

/** The outcome of spending one use of a secret id. */
export type UseOutcome = { ok: true; entry: StoredSecretId } | { ok: false; reason: 'secret_id_invalid' | 'secret_id_expired' | 'secret_id_cidr' };

/**
 * Spends one use of the record of role `role` with HMAC `hmac`, atomically within this
 * process: reads it under its lock, lets `admit` refuse it (CIDR checks: nothing is spent
 * then), deletes it when expired or on its last use, else stores the decremented count.
 */
export function useSecretId(
  ctx: ApprolePathContext,
  role: string,
  hmac: string,
  admit: (entry: StoredSecretId) => boolean,
): Promise<UseOutcome> {
  const key = secretIdKey(role, hmac);
  return ctx.state.locks.run(secretIdLock(key), async (): Promise<UseOutcome> => {
    const entry = await readEntry(ctx, key, hmac);
    if (entry === null) return { ok: false, reason: 'secret_id_invalid' };
    const nowMs = ctx.runtime.now();
    if (isExpired(entry, nowMs)) {
      await ctx.storage.delete(key);
      await ctx.storage.delete(accessorKey(role, entry.accessor));
      return { ok: false, reason: 'secret_id_expired' };
    }
    if (!admit(entry)) return { ok: false, reason: 'secret_id_cidr' };
    if (entry.num_uses === 1) {
      await ctx.storage.delete(key);
      await ctx.storage.delete(accessorKey(role, entry.accessor));
    } else if (entry.num_uses > 1) {
      await saveJson(ctx.storage, key, { ...entry, num_uses: entry.num_uses - 1, updated_ms: nowMs });
    }
    return { ok: true, entry };
  });
}

/**
 * Deletes every secret id of role `role` that `doomed` selects (all, by default), each
 * under its lock, page by page. Returns how many were deleted.
 */
export async function sweepSecretIds(
  ctx: ApprolePathContext,
  role: string,
  doomed: (entry: StoredSecretId) => boolean = () => true,
): Promise<number> {
  const folder = secretIdFolder(role);
  let deleted = 0;
  let after: string | undefined;
  for (;;) {
    const names = await ctx.storage.list(folder, after === undefined ? { limit: MAX_LIST_LIMIT } : { after, limit: MAX_LIST_LIMIT });
    for (const hmac of names) {
      if (hmac.endsWith('/')) continue;
      const key = folder + hmac;
      const gone = await ctx.state.locks.run(secretIdLock(key), async () => {
        const entry = await loadJson(ctx.storage, key, storedSecretIdSchema, 'AppRole secret id');
        if (entry === null || !doomed(entry)) return false;
        await ctx.storage.delete(key);
        await ctx.storage.delete(accessorKey(role, entry.accessor));
        return true;
      });
      if (gone) deleted++;
    }
    if (names.length < MAX_LIST_LIMIT) return deleted;
    after = names[names.length - 1];
  }
}
