/**
 * Failed-login rate limits, per auth mount × identity and per auth mount × client address.
 * Names are canonicalised first, so `CI`, ` ci ` and `ｃｉ` share one budget. Counters live
 * in this process (a replica's own limit); they are bounded in number.
 */

import { LRUCache } from 'lru-cache';
import { GatewayError } from '../core/index.js';
import type { Runtime } from '../core/index.js';

export interface LimitSettings {
  /** Failures allowed per window. */
  max: number;
  windowMs: number;
}

export interface LoginKeys {
  mount: string;
  /** The identity the client claims (role, role_id, …), canonicalised here; empty when none. */
  identity: string;
  address: string | null;
}

export interface LoginLimiter {
  /** Throws `ERR_RATE_LIMITED` (429, with `Retry-After`) when either budget is spent. */
  check(keys: LoginKeys): void;
  /** Counts a failed login. */
  failure(keys: LoginKeys): void;
  /** A success clears the identity's failures (not the address's). */
  success(keys: LoginKeys): void;
}

/** NFKC, trimmed, inner whitespace collapsed, lower case: one spelling per name. */
export function canonicalName(value: string): string {
  return value.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase().slice(0, 256);
}

export function createLoginLimiter(deps: {
  runtime: Pick<Runtime, 'now'>;
  perIdentity?: LimitSettings;
  perAddress?: LimitSettings;
}): LoginLimiter {
  const perIdentity = deps.perIdentity ?? { max: 10, windowMs: 60_000 };
  const perAddress = deps.perAddress ?? { max: 30, windowMs: 60_000 };
  const windows = new LRUCache<string, { start: number; count: number }>({ max: 50_000 });

  const keysOf = (k: LoginKeys) => {
    const out: [string, LimitSettings][] = [];
    if (k.identity !== '') out.push([`i\u0000${k.mount}\u0000${canonicalName(k.identity)}`, perIdentity]);
    if (k.address !== null && k.address !== '') out.push([`a\u0000${k.mount}\u0000${k.address}`, perAddress]);
    return out;
  };

  return {
    check(k) {
      const now = deps.runtime.now();
      for (const [key, limit] of keysOf(k)) {
        const w = windows.get(key);
        if (w !== undefined && now - w.start < limit.windowMs && w.count >= limit.max) {
          const retryAfter = Math.max(1, Math.ceil((w.start + limit.windowMs - now) / 1000));
          throw new GatewayError('ERR_RATE_LIMITED', 'too many failed logins; try again later', { headers: { 'retry-after': String(retryAfter) } });
        }
      }
    },
    failure(k) {
      const now = deps.runtime.now();
      for (const [key, limit] of keysOf(k)) {
        const w = windows.get(key);
        if (w === undefined || now - w.start >= limit.windowMs) windows.set(key, { start: now, count: 1 });
        else w.count++;
      }
    },
    success(k) {
      const identity = keysOf(k).find(([key]) => key.startsWith('i\u0000'));
      if (identity !== undefined) windows.delete(identity[0]);
    },
  };
}
