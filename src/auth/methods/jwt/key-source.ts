/**
 * The key source a JWT mount's configuration names, built once per configuration and
 * cached in the mount's state: static PEM keys, a remote JWKS, or the JWKS that OIDC
 * discovery points to. Custom CA bundles go through the runtime's `tlsFetch`.
 */

import type { Runtime } from '../../../core/index.js';
import { refuse } from '../login-refusal.js';
import { createRemoteKeySet, createStaticKeySet } from '../signed-jwt/index.js';
import type { KeySource } from '../signed-jwt/index.js';
import type { JwtConfig } from './config.js';
import type { JwtState } from './context.js';
import { createDiscoveryEntry, discoverProvider } from './discovery.js';

/** A key source and the issuer that tokens must carry, if any. */
export interface ResolvedKeys {
  source: KeySource;
  issuer: string | undefined;
}

/** What resolving needs from the mount. */
export interface KeyDeps {
  runtime: Runtime;
  state: JwtState;
  timeoutMs: number;
}

/** The fetch for an endpoint: the runtime's, or one trusting `caPem`. Throws `LoginRefusal` `tls_fetch_unavailable`. */
function fetchFor(runtime: Runtime, caPem: string | null): typeof fetch {
  if (caPem === null) return runtime.fetch;
  if (runtime.tlsFetch === undefined) refuse('tls_fetch_unavailable');
  return runtime.tlsFetch({ caPem });
}

function remote(deps: KeyDeps, url: string, caPem: string | null): KeySource {
  return deps.state.keySources.get(`jwks\n${url}\n${caPem ?? ''}`, () => ({
    kind: 'remote',
    keys: createRemoteKeySet({ url, fetch: fetchFor(deps.runtime, caPem), timeoutMs: deps.timeoutMs, now: () => deps.runtime.now() }),
  }));
}

/**
 * The keys and expected issuer for `config`. Throws `LoginRefusal` (`discovery_*`,
 * `issuer_conflict`, `tls_fetch_unavailable`, `not_configured`).
 */
export async function resolveKeys(config: JwtConfig, deps: KeyDeps): Promise<ResolvedKeys> {
  const bound = config.bound_issuer ?? undefined;
  if (config.jwt_validation_pubkeys.length > 0) {
    const pems = config.jwt_validation_pubkeys;
    const source = deps.state.keySources.get(`pem\n${pems.join('\n')}`, () => ({ kind: 'static', keys: createStaticKeySet(pems) }));
    return { source, issuer: bound };
  }
  if (config.jwks_url !== null) return { source: remote(deps, config.jwks_url, config.jwks_ca_pem), issuer: bound };
  if (config.oidc_discovery_url !== null) {
    const url = config.oidc_discovery_url;
    const caPem = config.oidc_discovery_ca_pem;
    const entry = deps.state.discovery.get(`${url}\n${caPem ?? ''}`, createDiscoveryEntry);
    const provider = await discoverProvider(entry, url, {
      fetch: fetchFor(deps.runtime, caPem),
      now: () => deps.runtime.now(),
      timeoutMs: deps.timeoutMs,
    });
    if (bound !== undefined && bound !== provider.issuer) refuse('issuer_conflict');
    return { source: remote(deps, provider.jwksUri, caPem), issuer: provider.issuer };
  }
  return refuse('not_configured');
}
