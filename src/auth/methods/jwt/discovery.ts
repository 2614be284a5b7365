/**
 * OIDC discovery: `GET {oidc_discovery_url}/.well-known/openid-configuration`, once per
 * `DISCOVERY_TTL_MS` per mount (single-flight), to learn `jwks_uri`. The document's
 * `issuer` must equal the configured URL exactly (OpenID Connect Discovery §4.3), and
 * `jwks_uri` must be an acceptable endpoint. A failed fetch is not retried for
 * `DISCOVERY_BACKOFF_MS`.
 */

import { isJsonObject } from '../../../core/index.js';
import { BodyTooLargeError, readBoundedJson } from '../bounded-body.js';
import { joinUrlPath, parseEndpointUrl } from '../endpoint-url.js';
import { LoginRefusal, refuse } from '../login-refusal.js';

/** How long a discovery document is used before it is fetched again. */
export const DISCOVERY_TTL_MS = 3_600_000;

/** After a failed discovery, further attempts are refused for this long. */
export const DISCOVERY_BACKOFF_MS = 5_000;

/** Largest discovery document read (64 KiB). */
export const MAX_DISCOVERY_BYTES = 65_536;

/** What Keygate uses from a discovery document. */
export interface DiscoveredProvider {
  issuer: string;
  jwksUri: string;
}

/** One mount's discovery state for one configuration. */
export interface DiscoveryEntry {
  result: { provider: DiscoveredProvider; fetchedAt: number } | null;
  pending: Promise<DiscoveredProvider> | null;
  failedAt: number | null;
}

/** A fresh, empty entry. */
export function createDiscoveryEntry(): DiscoveryEntry {
  return { result: null, pending: null, failedAt: null };
}

/** What a discovery fetch needs. */
export interface DiscoveryDeps {
  fetch: typeof fetch;
  now: () => number;
  timeoutMs: number;
}

async function fetchProvider(discoveryUrl: string, deps: DiscoveryDeps): Promise<DiscoveredProvider> {
  let response: Response;
  try {
    response = await deps.fetch(joinUrlPath(discoveryUrl, '/.well-known/openid-configuration'), {
      method: 'GET',
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(deps.timeoutMs),
    });
  } catch (err) {
    return refuse(err instanceof Error && err.name === 'TimeoutError' ? 'discovery_timeout' : 'discovery_unreachable');
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    refuse('discovery_http_status');
  }
  let document: unknown;
  try {
    document = await readBoundedJson(response, MAX_DISCOVERY_BYTES);
  } catch (err) {
    return refuse(err instanceof BodyTooLargeError ? 'discovery_too_large' : 'discovery_unreadable');
  }
  if (!isJsonObject(document)) refuse('discovery_unreadable');
  const { issuer, jwks_uri: jwksUri } = document;
  if (typeof issuer !== 'string' || issuer !== discoveryUrl) refuse('discovery_issuer_mismatch');
  if (typeof jwksUri !== 'string' || parseEndpointUrl(jwksUri) === null) refuse('discovery_jwks_uri_invalid');
  return { issuer, jwksUri };
}

/**
 * The provider behind `discoveryUrl`, from `entry`'s cache when fresh. Throws
 * `LoginRefusal` (`discovery_*`) when it cannot be had.
 */
export async function discoverProvider(entry: DiscoveryEntry, discoveryUrl: string, deps: DiscoveryDeps): Promise<DiscoveredProvider> {
  const now = deps.now();
  if (entry.result !== null && now - entry.result.fetchedAt < DISCOVERY_TTL_MS) return entry.result.provider;
  if (entry.pending !== null) return entry.pending;
  if (entry.failedAt !== null && now - entry.failedAt < DISCOVERY_BACKOFF_MS) refuse('discovery_backoff');
  const pending = fetchProvider(discoveryUrl, deps).then(
    (provider) => {
      entry.result = { provider, fetchedAt: deps.now() };
      entry.failedAt = null;
      return provider;
    },
    (err: unknown) => {
      entry.failedAt = deps.now();
      throw err instanceof LoginRefusal ? err : new LoginRefusal('discovery_unreachable');
    },
  );
  entry.pending = pending;
  try {
    return await pending;
  } finally {
    entry.pending = null;
  }
}
