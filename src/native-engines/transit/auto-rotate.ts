/**
 * Automatic rotation (`auto_rotate_period`), and the seam the gateway's scheduler uses:
 * `update` on the mount's `auto-rotate` path rotates every key whose period has elapsed since
 * its latest version was made, under each key's lock (so it never races an API rotation),
 * and answers when the next rotation falls due. The scheduler calls it periodically, e.g.
 * with `autoRotateRequest`; through the API it is an ordinary, policy-checked write.
 */

import { z } from 'zod';
import { MAX_LIST_LIMIT } from '../../core/index.js';
import type { BackendRequest, MountRef, Principal } from '../../core/index.js';
import { noBody, noQuery } from '../framework/engine-kit.js';
import { isKeyName, transit } from './context.js';
import type { TransitContext } from './context.js';
import { POLICY_FOLDER } from './layout.js';
import { addVersion, nextAutoRotation } from './lifecycle.js';
import { loadPolicy } from './policy.js';

/** The relative path of the auto-rotation tick. */
export const TRANSIT_AUTO_ROTATE_PATH = 'auto-rotate';

/** Most rotated names one answer lists (the count is always exact). */
const MAX_LISTED = 1000;

/** What one tick did. */
export interface AutoRotateResult {
  rotated: string[];
  rotated_count: number;
  checked: number;
  /** When the next rotation falls due (RFC 3339), or null when no key auto-rotates. */
  next_due: string | null;
}

/** Rotates every key of the mount whose auto-rotation is due at `runtime.now()`. */
export async function rotateDueKeys(ctx: TransitContext): Promise<AutoRotateResult> {
  const deps = { storage: ctx.storage, runtime: ctx.runtime, keys: ctx.state.keys };
  const rotated: string[] = [];
  let count = 0;
  let checked = 0;
  let nextDue: number | null = null;
  let after: string | undefined;
  for (;;) {
    const page = await ctx.storage.list(POLICY_FOLDER, after === undefined ? { limit: MAX_LIST_LIMIT } : { after, limit: MAX_LIST_LIMIT });
    for (const name of page) {
      if (name.endsWith('/') || !isKeyName(name)) continue;
      checked++;
      // Read from storage, not the cache: another replica may have rotated already.
      const policy = await loadPolicy(ctx.storage, name);
      if (policy === null || nextAutoRotation(policy) === null) continue;
      const next = await deps.keys.write(name, async (current) => {
        const due = current === null ? null : nextAutoRotation(current);
        if (current === null || due === null) return null;
        if (due > ctx.runtime.now()) return current;
        count++;
        if (rotated.length < MAX_LISTED) rotated.push(name);
        return addVersion(deps, current);
      });
      const due = next === null ? null : nextAutoRotation(next);
      if (due !== null && (nextDue === null || due < nextDue)) nextDue = due;
    }
    if (page.length < MAX_LIST_LIMIT) break;
    after = page[page.length - 1];
  }
  return { rotated, rotated_count: count, checked, next_due: nextDue === null ? null : new Date(nextDue).toISOString() };
}

/** `update` on `auto-rotate`. */
export const autoRotateOperation = transit.defineOperation({
  summary: 'Rotate keys whose auto_rotate_period has elapsed',
  description:
    'Rotates every key of the mount whose auto_rotate_period has passed since its latest version was created, and says when the next one falls due. The gateway\'s scheduler calls it periodically; calling it by hand is harmless.',
  body: noBody,
  query: noQuery,
  response: z.object({ rotated: z.array(z.string()), rotated_count: z.int(), checked: z.int(), next_due: z.string().nullable() }),
  async handler(ctx) {
    const result = await rotateDueKeys(ctx);
    return { data: { ...result }, cache: 'no-store' };
  },
});

/**
 * The request the gateway's scheduler hands a transit mount's engine (`engine.handle`) to
 * run one auto-rotation tick, as `principal` (the scheduler's own identity).
 */
export function autoRotateRequest(mount: MountRef, principal: Principal, requestId: string, signal: AbortSignal): BackendRequest {
  return {
    operation: 'update',
    path: `${mount.path}${TRANSIT_AUTO_ROTATE_PATH}`,
    relativePath: TRANSIT_AUTO_ROTATE_PATH,
    data: {},
    params: {},
    preconditions: {},
    principal,
    requestId,
    signal,
    mount,
  };
}
