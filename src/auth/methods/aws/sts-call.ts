/**
 * Forwards a rebuilt GetCallerIdentity request to STS: one POST to the configured endpoint,
 * no redirects followed, bounded in time (the caller's signal) and in response size, and
 * the answer read with the bounded XML reader. Whatever STS says other than 200 with a
 * well-formed identity (SignatureDoesNotMatch, InvalidClientTokenId, expired tokens, …)
 * is a refusal; its body is never read into a log or an error.
 */

import { fromUtf8 } from '../../../core/index.js';
import { readBoundedBytes } from '../bounded-body.js';
import { refuse } from '../login-refusal.js';
import { MAX_CALLER_IDENTITY_XML, parseCallerIdentity } from './caller-identity-xml.js';
import type { CallerIdentity } from './caller-identity-xml.js';
import type { StsRequest } from './sts-request.js';

/** Sends `request` with `fetchFn` and returns the caller identity STS answers with. Throws `LoginRefusal`. */
export async function callGetCallerIdentity(fetchFn: typeof fetch, request: StsRequest, signal: AbortSignal): Promise<CallerIdentity> {
  let response: Response;
  try {
    response = await fetchFn(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal,
    });
  } catch {
    refuse('sts_unreachable');
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    refuse('sts_rejected');
  }
  let text: string;
  try {
    text = fromUtf8(await readBoundedBytes(response, MAX_CALLER_IDENTITY_XML));
  } catch {
    refuse('sts_response_invalid');
  }
  const identity = parseCallerIdentity(text);
  if (identity === null) refuse('sts_response_invalid');
  return identity;
}
