/**
 * Reading SDK errors by shape, for every cloud: never by class (so no SDK import, and the
 * code stays runtime-neutral) and never by the cloud's message text, which carries account
 * ids, resource names and request ids.
 */

/** `value[key]` when `value` is an object; undefined otherwise. */
export const field = (value: unknown, key: string): unknown => (typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined);

/** `value` when it is a string; '' otherwise. */
export const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** Socket error codes (Node and undici) of a service that could not be reached, or dropped the connection. */
export const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);
