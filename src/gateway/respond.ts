/**
 * The response writer: the one place (with the barrier) that unwraps `Sensitive` values.
 * An `Answer` is a response before it is a `Response`: the Node fast path writes it to the
 * socket directly (fast-path.node.ts), everything else turns it into a `Response`.
 */

import { Sensitive, fromUtf8, isPlainJsonString, revealingStringify, utf8 } from '../core/index.js';

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
  return { status, headers: { 'content-type': JSON_TYPE, ...API_HEADERS, ...headers }, body: revealingStringify(body) };
}

/**
 * `answer` frozen, headers included: one answer object shared by every reader of a cached
 * response (the read cache's `derive`), which no writer may change. When its body contains,
 * as a JSON string, one of `values` (strings the cached response holds anyway: its data's
 * values) that is long and needs no escaping, the body is kept as the text around that
 * string plus the string itself, joined on each read: the value is held once instead of
 * also inside a copy of the body (a cached 1 KiB secret: 1.2 KB less heap, for a join of
 * about 1.2 KB per hit). The body read is the same text, byte for byte.
 */
export function frozenAnswer(answer: Answer, values: Iterable<unknown> = []): Readonly<Answer> {
  const headers = compactHeaders(answer.headers);
  const spliced = answer.body === null ? null : splice(answer.body, values);
  if (spliced !== null) return Object.freeze(new SplicedAnswer(answer.status, headers, spliced));
  return Object.freeze(headers === answer.headers ? answer : { status: answer.status, headers, body: answer.body });
}

/** The headers of a JSON answer without extra headers: one frozen object shared by every frozen answer that has them. */
const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': JSON_TYPE, ...API_HEADERS });
const JSON_HEADER_NAMES = Object.keys(JSON_HEADERS);

/**
 * A frozen answer's headers, held small: a JSON answer's own headers are the shared
 * `JSON_HEADERS`, and with an entity tag they are an object of one fixed shape. An object
 * built by spreading keeps its properties out of line (about 250 bytes more for each cached
 * answer). Other headers are frozen as they are. The names, their order and the values are
 * unchanged.
 */
function compactHeaders(headers: Record<string, string>): Readonly<Record<string, string>> {
  const names = Object.keys(headers);
  const json = JSON_HEADER_NAMES.every((name, i) => names[i] === name && headers[name] === JSON_HEADERS[name]);
  if (json && names.length === JSON_HEADER_NAMES.length) return JSON_HEADERS;
  const etag = headers.etag;
  if (json && names.length === JSON_HEADER_NAMES.length + 1 && names.at(-1) === 'etag' && etag !== undefined) {
    // A literal, not a spread, so the object has its properties in line; used only while its
    // names are the headers' own, in their order (values are copied from them).
    const value = (name: string): string => headers[name] ?? '';
    const tagged = { 'content-type': value('content-type'), 'cache-control': value('cache-control'), 'x-content-type-options': value('x-content-type-options'), etag };
    if (Object.keys(tagged).every((name, i) => name === names[i])) return Object.freeze(tagged);
  }
  return Object.freeze(headers);
}

/** Strings shorter than this are not worth splicing out of a body. */
const SPLICE_MIN_CHARS = 256;

/** `body` as [before, value, after] around the longest of `values` it contains as a JSON string, or null. */
function splice(body: string, values: Iterable<unknown>): [string, string, string] | null {
  let value: string | null = null;
  for (const candidate of values) {
    const v = candidate instanceof Sensitive ? candidate.reveal() : candidate;
    if (typeof v === 'string' && v.length >= SPLICE_MIN_CHARS && (value === null || v.length > value.length)) value = v;
  }
  if (value === null || !isPlainJsonString(value)) return null;
  const at = body.indexOf(`"${value}"`);
  if (at === -1) return null;
  // Copies, not slices: a slice of the body would keep the whole body alive.
  const before = copyOf(body.slice(0, at + 1));
  const after = copyOf(body.slice(at + 1 + value.length));
  return before + value + after === body ? [before, value, after] : null;
}

/** A string with storage of its own (engines may share a substring's storage with its parent). */
const copyOf = (s: string): string => fromUtf8(utf8(s));

/** A frozen answer whose body is joined from the text around a value and the value. */
class SplicedAnswer implements Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly #parts: readonly [string, string, string];
  constructor(status: number, headers: Readonly<Record<string, string>>, parts: [string, string, string]) {
    this.status = status;
    this.headers = headers;
    this.#parts = parts;
  }
  get body(): string {
    return this.#parts[0] + this.#parts[1] + this.#parts[2];
  }
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
