/**
 * Validation through the Kubernetes TokenReview API: `POST {host}/apis/authentication.k8s.io/v1/tokenreviews`
 * with the reviewer JWT (or the client's own) as bearer, bounded in time and size, never
 * following redirects. Only an explicit `authenticated: true` for a service-account user
 * (and the requested audience, when one is bound) passes; everything else, including an
 * unreachable or slow API server, is a `LoginRefusal` (fail closed).
 */

import { isJsonObject } from '../../../core/index.js';
import { BodyTooLargeError, readBoundedJson } from '../bounded-body.js';
import { joinUrlPath } from '../endpoint-url.js';
import { refuse } from '../login-refusal.js';
import { serviceAccountFromUsername } from './service-account.js';
import type { ServiceAccount } from './service-account.js';

/** Largest TokenReview response read (64 KiB). */
export const MAX_REVIEW_BYTES = 65_536;

/** What a review needs. */
export interface TokenReviewRequest {
  host: string;
  fetch: typeof fetch;
  /** The bearer for the API server: the reviewer JWT, or the client's JWT. */
  bearer: string;
  /** The token under review. */
  jwt: string;
  /** Audience the token must be valid for, when the role binds one. */
  audience: string | null;
  /** Aborts the call (request signal combined with the timeout). */
  signal: AbortSignal;
}

/**
 * The service account the API server vouches for. Throws `LoginRefusal`:
 * `tokenreview_timeout`, `tokenreview_unreachable`, `tokenreview_forbidden` (401/403: the
 * bearer may not review), `tokenreview_http_status`, `tokenreview_unreadable`,
 * `tokenreview_unauthenticated`, `tokenreview_not_service_account`, `tokenreview_audience`.
 */
export async function reviewToken(request: TokenReviewRequest): Promise<ServiceAccount> {
  const spec = request.audience === null ? { token: request.jwt } : { token: request.jwt, audiences: [request.audience] };
  let response: Response;
  try {
    response = await request.fetch(joinUrlPath(request.host, '/apis/authentication.k8s.io/v1/tokenreviews'), {
      method: 'POST',
      headers: { authorization: `Bearer ${request.bearer}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec }),
      redirect: 'manual',
      signal: request.signal,
    });
  } catch (err) {
    return refuse(request.signal.aborted || (err instanceof Error && err.name === 'TimeoutError') ? 'tokenreview_timeout' : 'tokenreview_unreachable');
  }
  if (response.status === 401 || response.status === 403) refuse('tokenreview_forbidden');
  if (response.status !== 200 && response.status !== 201) refuse('tokenreview_http_status');
  let review: unknown;
  try {
    review = await readBoundedJson(response, MAX_REVIEW_BYTES);
  } catch (err) {
    return refuse(err instanceof BodyTooLargeError ? 'tokenreview_unreadable' : request.signal.aborted ? 'tokenreview_timeout' : 'tokenreview_unreadable');
  }
  const status = isJsonObject(review) ? review.status : undefined;
  if (!isJsonObject(status) || status.authenticated !== true) refuse('tokenreview_unauthenticated');
  const user = status.user;
  const account = isJsonObject(user) ? serviceAccountFromUsername(user.username, user.uid) : null;
  if (account === null) refuse('tokenreview_not_service_account');
  if (request.audience !== null) {
    const audiences = status.audiences;
    if (!Array.isArray(audiences) || !audiences.includes(request.audience)) refuse('tokenreview_audience');
  }
  return account;
}
