/** The Kubernetes auth method's declaration kit and per-mount state. */

import { engineKit } from '../../../native-engines/framework/index.js';
import type { HandlerContext } from '../../../native-engines/framework/index.js';
import type { AuthMethodOptions } from '../request-timeout.js';
import { createKeySourceCache } from '../signed-jwt/index.js';
import type { KeySource, KeySourceCache } from '../signed-jwt/index.js';

/** Per-mount caches: the key source of the JWKS mode, by configuration fingerprint. */
export interface KubernetesState {
  keySources: KeySourceCache<KeySource>;
}

/** Builds a mount's state. */
export function createKubernetesState(): KubernetesState {
  return { keySources: createKeySourceCache() };
}

/** The declaration helpers bound to the Kubernetes method's options and state. */
export const kubernetesKit = engineKit<AuthMethodOptions, KubernetesState>();

/** What every Kubernetes-method handler receives. */
export type KubernetesContext<Body = unknown, Query = unknown> = HandlerContext<AuthMethodOptions, KubernetesState, Body, Query>;
