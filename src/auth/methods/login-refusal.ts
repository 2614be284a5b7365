/**
 * How auth methods refuse a login. Code below a login handler throws `LoginRefusal` with
 * a short fixed reason code; the handler turns it, once, into the one opaque
 * `UnauthenticatedError` and a log line naming only the mount and the reason. A reason is
 * always a constant written in the source, never built from a token, a claim or a key.
 */

import { GatewayError, UnauthenticatedError } from '../../core/index.js';
import type { Logger } from '../../core/index.js';

/** Reason codes: lower-case snake_case, short. */
const REASON = /^[a-z][a-z0-9_]{0,47}$/;

/**
 * A refused login, internal to auth methods: never shown to a client. `reason` is a fixed
 * code such as `jwt_expired`; constructing one with anything else throws `TypeError`.
 */
export class LoginRefusal extends Error {
  readonly reason: string;

  constructor(reason: string) {
    if (!REASON.test(reason)) throw new TypeError('login refusal reasons are fixed snake_case codes');
    super(reason);
    this.name = 'LoginRefusal';
    this.reason = reason;
  }
}

/** Throws a `LoginRefusal` with `reason` (a fixed code). */
export function refuse(reason: string): never {
  throw new LoginRefusal(reason);
}

/**
 * Maps whatever a login threw to what the client sees. A `LoginRefusal` becomes
 * `UnauthenticatedError` (401) after a `warn` line `{ mount, reason }`; other
 * `GatewayError`s (storage unavailable, sealed, …) pass through unchanged; anything else is
 * an unexpected failure while checking credentials, so it fails closed as a 401 too,
 * logged at `error` with only the error's class name.
 */
export function loginFailure(logger: Logger, mount: string, err: unknown): Error {
  if (err instanceof LoginRefusal) {
    logger.warn({ mount, reason: err.reason }, 'login refused');
    return new UnauthenticatedError();
  }
  if (err instanceof GatewayError) return err;
  const name = err instanceof Error && /^[A-Za-z]{1,64}$/.test(err.name) ? err.name : 'unknown';
  logger.error({ mount, reason: 'internal_error', error: name }, 'login refused');
  return new UnauthenticatedError();
}
