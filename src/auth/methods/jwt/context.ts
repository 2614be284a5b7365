/** The JWT auth method's declaration kit and per-mount state. */

import { engineKit } from '../../../native-engines/framework/index.js';
import type { HandlerContext } from '../../../native-engines/framework/index.js';
import type { AuthMethodOptions } from '../request-timeout.js';
import { createKeySourceCache } from '../signed-jwt/index.js';
import type { KeySource, KeySourceCache } from '../signed-jwt/index.js';
import type { DiscoveryEntry } from './discovery.js';

/** Per-mount caches: key sources and OIDC discovery documents, by configuration fingerprint. */
export interface JwtState {
  keySources: KeySourceCache<KeySource>;
  discovery: KeySourceCache<DiscoveryEntry>;
}

/** Builds a mount's state. */
export function createJwtState(): JwtState {
  return { keySources: createKeySourceCache(), discovery: createKeySourceCache() };
}

/** The declaration helpers bound to the JWT method's options and state. */
export const jwtKit = engineKit<AuthMethodOptions, JwtState>();

/** What every JWT-method handler receives. */
export type JwtContext<Body = unknown, Query = unknown> = HandlerContext<AuthMethodOptions, JwtState, Body, Query>;
