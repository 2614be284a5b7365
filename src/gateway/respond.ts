/** The response writer: the one place (with the barrier) that unwraps `Sensitive` values. */

import { revealingStringify } from '../core/index.js';

/** Headers every API response carries: secrets must never be cached by a client or proxy. */
export const API_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

/** A JSON response; `Sensitive` values inside `body` are written in the clear (this is their destination). */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(revealingStringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...API_HEADERS, ...headers },
  });
}

/** A bodyless response (204). */
export function emptyResponse(status = 204, headers: Record<string, string> = {}): Response {
  return new Response(null, { status, headers: { ...API_HEADERS, ...headers } });
}
