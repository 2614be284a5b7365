import type { z } from 'zod';
import type { Runtime } from '../core/index.js';
import type { NamingRules } from './naming.js';
import type { SecretProvider } from './types.js';

/**
 * One cloud's provider, as the registry holds it: its mount type, the schema of its own
 * mount options, its naming rules, and a factory for the port. The Node entry registers the
 * SDK-backed ones; tests register the memory provider. Nothing registers itself on import.
 */
export interface ProviderDefinition {
  /** The mount type, e.g. `aws-secrets-manager`. */
  type: string;
  /** Schema of the provider's own options (strict); Keygate's common options are added around it. */
  options: z.ZodType;
  naming: NamingRules;
  /** Builds the port from validated options. Must not make network calls (see `validate`). */
  createPort(options: never, deps: { runtime: Runtime }): SecretProvider;
}
