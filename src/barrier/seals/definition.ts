import type { z } from 'zod';
import type { Runtime } from '../../core/index.js';
import type { KeyWrapper } from '../types.js';

/**
 * One seal type as the registry holds it: the Vault-style stanza fields it takes (a strict
 * schema, without `type`, `name`, `priority` and `disabled`, which every stanza has), and a
 * factory. KMS seals are Node-only (SDKs) and registered by the Node entry.
 */
export interface SealDefinition {
  /** `awskms`, `gcpckms`, `azurekeyvault`, … */
  type: string;
  options: z.ZodType;
  /** Builds the wrapper from validated options. Must not make network calls (see `KeyWrapper.validate`). */
  create(options: never, deps: { runtime: Runtime }): KeyWrapper;
}
