/**
 * The bound on every outbound call an auth method makes during a login (key sets,
 * discovery documents, TokenReview), as a mount option. A slow or hung endpoint costs a
 * login at most this long, then the login is refused (401), never left hanging.
 */

import { z } from 'zod';
import { parseDuration } from '../../core/index.js';

/** Default bound on one outbound call. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

const MIN_MS = 100;
const MAX_MS = 30_000;

/** `request_timeout`: a duration text (`"5s"`, `"750ms"`), from 100ms to 30s; output in ms. */
export const requestTimeoutSchema = z
  .string()
  .max(16)
  .describe('Bound on each outbound call a login makes (key sets, discovery, TokenReview), e.g. "5s"; 100ms to 30s.')
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === null || ms < MIN_MS || ms > MAX_MS) {
      ctx.addIssue({ code: 'custom', message: 'must be a duration from 100ms to 30s, such as "5s"' });
      return z.NEVER;
    }
    return ms;
  });

/** The mount options both JWT-based methods take. */
export const authMethodOptionsSchema = z.strictObject({
  request_timeout: requestTimeoutSchema.default(DEFAULT_REQUEST_TIMEOUT_MS),
});

/** Validated mount options of the JWT-based methods. */
export type AuthMethodOptions = z.output<typeof authMethodOptionsSchema>;
