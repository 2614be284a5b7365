/**
 * The configured seals: the `seal` stanzas of the config turned into named wrappers, by the
 * seal types the entry registers. Runtime-neutral: the dev key file (a local file) is built
 * by the entry and handed in through `local`.
 */

import { GatewayError } from '../core/index.js';
import type { Runtime } from '../core/index.js';
import type { KeyWrapper, SealDefinition } from '../barrier/index.js';
import { parseDuration } from '../core/index.js';
import type { Config, SealStanza } from './config.js';
import { sealName, sealOptions } from './config.js';

/** One configured seal. */
export interface ConfiguredSeal {
  readonly name: string;
  readonly type: string;
  readonly priority: number;
  /** Unseals only; its entry is dropped once every enabled seal has unsealed once. */
  readonly disabled: boolean;
  /** The wrapper; null for `shamir`, whose key exists only once enough shares are submitted. */
  readonly wrapper: KeyWrapper | null;
  /** Builds a wrapper from key material submitted to `sys/unseal` (the dev key file: the whole key). */
  readonly fromKey?: (key: Uint8Array) => KeyWrapper | null;
}

export interface SealSetup {
  readonly seals: readonly ConfiguredSeal[];
  /** k of the enabled seals. */
  readonly required: number;
  readonly unwrapTimeoutMs: number;
  /**
   * Initialise on first start without `sys/init`: only when every enabled seal is a dev key
   * file (the embedded default stays one command). Production seals wait for `sys/init`.
   */
  readonly autoInit: boolean;
}

/** Builds a local seal (the dev key file) from its stanza; the entry supplies it. */
export type LocalSealFactory = (stanza: SealStanza) => Pick<ConfiguredSeal, 'wrapper' | 'fromKey'>;

/**
 * Turns the config's seal stanzas into a `SealSetup`. `definitions` are the KMS seal types;
 * `local` builds `dev-key-file` seals. Throws `ERR_INTERNAL` for a type nobody registered
 * (the config parser already refused unknown types with a field-level message).
 */
export function createSealSetup(config: Config, deps: { runtime: Runtime; definitions: Readonly<Record<string, SealDefinition>>; local?: LocalSealFactory }): SealSetup {
  const seals = config.seal.map((stanza, i): ConfiguredSeal => {
    const base = { name: sealName(stanza), type: stanza.type, priority: stanza.priority ?? i + 1, disabled: stanza.disabled };
    if (stanza.type === 'shamir') return { ...base, wrapper: null };
    if (stanza.type === 'dev-key-file') {
      if (deps.local === undefined) throw new GatewayError('ERR_INTERNAL', 'the dev-key-file seal needs a local seal factory (it is Node-only)');
      return { ...base, ...deps.local(stanza) };
    }
    const definition = deps.definitions[stanza.type];
    if (definition === undefined) throw new GatewayError('ERR_INTERNAL', `no seal type "${stanza.type}" is registered`);
    const options = definition.options.parse(sealOptions(stanza));
    return { ...base, wrapper: definition.create(options as never, { runtime: deps.runtime }) };
  });
  seals.sort((a, b) => a.priority - b.priority);
  const enabled = seals.filter((s) => !s.disabled);
  return {
    seals,
    required: config.multi_seal.required,
    unwrapTimeoutMs: parseDuration(config.multi_seal.unwrap_timeout) ?? 15_000,
    autoInit: enabled.length > 0 && enabled.every((s) => s.type === 'dev-key-file'),
  };
}
