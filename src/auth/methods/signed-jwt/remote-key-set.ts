/**
 * A remote JSON Web Key Set, fetched and cached by jose's `createRemoteJWKSet` (cache
 * lifetime, single-flight reloads, and its cooldown: an unknown `kid` triggers at most one
 * refetch per cooldown window). Keygate supplies the fetch: it goes through the runtime's
 * `fetch` (or a custom-CA `tlsFetch`), never follows redirects, reads at most
 * `MAX_JWKS_BYTES`, validates the set (`checkJwksDocument`), and after a failed fetch
 * refuses to try again for `FAILURE_BACKOFF_MS`, so an unreachable endpoint is not hit once
 * per login attempt.
 */

import { createRemoteJWKSet, customFetch } from 'jose';
import type { RemoteJWKSet } from 'jose';
import { BodyTooLargeError, readBoundedJson } from '../bounded-body.js';
import { LoginRefusal } from '../login-refusal.js';
import { checkJwksDocument } from './jwks-document.js';

/** Largest key set document read (256 KiB). */
export const MAX_JWKS_BYTES = 262_144;

/** After a failed fetch, further fetches are refused for this long. */
export const FAILURE_BACKOFF_MS = 5_000;

/** How long fetched keys are used before they are refetched (jose's `cacheMaxAge`). */
export const JWKS_CACHE_MAX_AGE_MS = 600_000;

/** Least time between two refetches caused by unknown `kid`s (jose's `cooldownDuration`). */
export const JWKS_COOLDOWN_MS = 30_000;

/** What a remote key set needs. */
export interface RemoteKeySetOptions {
  url: string;
  /** The fetch to use: `runtime.fetch`, or `runtime.tlsFetch({ caPem })` for a private CA. */
  fetch: typeof fetch;
  /** Bound on one fetch. */
  timeoutMs: number;
  /** The clock for the failure backoff (`runtime.now`). */
  now: () => number;
  /** Extra request headers (e.g. a bearer token for a Kubernetes API server's JWKS). */
  headers?: Record<string, string>;
}

function toRefusal(err: unknown): LoginRefusal {
  if (err instanceof LoginRefusal) return err;
  if (err instanceof BodyTooLargeError) return new LoginRefusal('jwks_too_large');
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return new LoginRefusal('jwks_timeout');
  return new LoginRefusal('jwks_unreachable');
}

/**
 * A jose key resolver for the set at `options.url`. Its fetch failures surface from
 * `jwtVerify` as `LoginRefusal`s: `jwks_backoff`, `jwks_http_status`, `jwks_too_large`,
 * `jwks_timeout`, `jwks_unreachable`, `jwks_unreadable`, or a `checkJwksDocument` reason.
 */
export function createRemoteKeySet(options: RemoteKeySetOptions): RemoteJWKSet {
  let failedAt: number | null = null;
  const guardedFetch = async (url: string, init: { headers: Headers; method: 'GET'; redirect: 'manual'; signal: AbortSignal }): Promise<Response> => {
    if (failedAt !== null && options.now() - failedAt < FAILURE_BACKOFF_MS) throw new LoginRefusal('jwks_backoff');
    try {
      const response = await options.fetch(url, { ...init, redirect: 'manual' });
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => undefined);
        throw new LoginRefusal('jwks_http_status');
      }
      let document: unknown;
      try {
        document = await readBoundedJson(response, MAX_JWKS_BYTES);
      } catch (err) {
        throw err instanceof BodyTooLargeError || (err instanceof Error && err.name === 'TimeoutError') ? err : new LoginRefusal('jwks_unreadable');
      }
      const checked = checkJwksDocument(document);
      if (!checked.ok) throw new LoginRefusal(checked.reason);
      failedAt = null;
      return new Response(JSON.stringify(checked.jwks), { status: 200, headers: { 'content-type': 'application/json' } });
    } catch (err) {
      failedAt = options.now();
      throw toRefusal(err);
    }
  };
  return createRemoteJWKSet(new URL(options.url), {
    timeoutDuration: options.timeoutMs,
    cooldownDuration: JWKS_COOLDOWN_MS,
    cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    [customFetch]: guardedFetch,
  });
}
