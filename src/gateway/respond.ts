/**
 * The response writer: the one place (with the barrier) that unwraps `Sensitive` values.
 * An `Answer` is a response before it is a `Response`: the Node fast path writes it to the
 * socket directly (fast-path.node.ts), everything else turns it into a `Response`.
 */

import { revealingStringify } from '../core/index.js';

/** Headers every API response carries: secrets must never be cached by a client or proxy. */
export const API_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

const JSON_TYPE = 'application/json; charset=utf-8';

/** A response as data: status, headers (lower-case names) and a body already serialised, or none. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string | null;
}

/** A JSON answer; `Sensitive` values inside `body` are written in the clear (this is their destination). */
export function jsonAnswer(status: number, body: unknown, headers: Record<string, string> = {}): Answer {
  return jsonTextAnswer(status, revealingStringify(body), headers);
}

/** A JSON answer whose body is already JSON text. */
export function jsonTextAnswer(status: number, text: string, headers: Record<string, string> = {}): Answer {
  return { status, headers: { 'content-type': JSON_TYPE, ...API_HEADERS, ...headers }, body: text };
}

/**
 * `answer` frozen, headers included: one answer object shared by every reader of a cached
 * response (the read cache's `derive`), which no writer may change.
 */
export function frozenAnswer(answer: Answer): Readonly<Answer> {
  Object.freeze(answer.headers);
  return Object.freeze(answer);
}

/** A bodyless answer (204). */
export function emptyAnswer(status = 204, headers: Record<string, string> = {}): Answer {
  return { status, headers: { ...API_HEADERS, ...headers }, body: null };
}

export function toResponse(answer: Answer): Response {
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}

/** A JSON response; `Sensitive` values inside `body` are written in the clear (this is their destination). */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return toResponse(jsonAnswer(status, body, headers));
}

/** A bodyless response (204). */
export function emptyResponse(status = 204, headers: Record<string, string> = {}): Response {
  return toResponse(emptyAnswer(status, headers));
}
