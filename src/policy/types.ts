/** Contracts of the ACL policy engine (Vault semantics; docs/policies.md). */

import type { JsonValue } from '../core/index.js';

/** What a path rule can grant, in Vault's words. `deny` overrides every other capability of its pattern. */
export type Capability = 'create' | 'read' | 'update' | 'patch' | 'delete' | 'list' | 'sudo' | 'deny';

/** The capabilities a request can need: `sudo` is an extra requirement of some paths, and `deny` is never asked for. */
export type RequestCapability = Exclude<Capability, 'deny' | 'sudo'>;

/** Every capability, in the order `Acl.capabilities` reports them (alphabetical, as Vault's `sys/capabilities-self`). */
export const CAPABILITIES: readonly Capability[] = ['create', 'delete', 'deny', 'list', 'patch', 'read', 'sudo', 'update'];

/**
 * One `path "pattern" { … }` block after parsing. Parameter maps are keyed by the
 * lower-cased parameter name (Vault compares names case-insensitively); a value list that is
 * empty means "any value".
 */
export interface PathRule {
  /**
   * The pattern as written, a leading `/` removed: literal text, a trailing `*` (prefix
   * glob), `+` segments (exactly one segment each), and, when `templated`, `{{…}}` directives.
   */
  readonly path: string;
  /** The granted capabilities; `['deny']` alone when the block denies. May be empty (a rule that matches and grants nothing). */
  readonly capabilities: readonly Capability[];
  /** `allowed_parameters`; null when the block sets none. The key `*` allows every parameter. */
  readonly allowedParameters: ReadonlyMap<string, readonly JsonValue[]> | null;
  /** `denied_parameters`; null when the block sets none. The key `*` denies every non-empty request body. */
  readonly deniedParameters: ReadonlyMap<string, readonly JsonValue[]> | null;
  /** `required_parameters`, lower-cased and de-duplicated. */
  readonly requiredParameters: readonly string[];
  /**
   * `min_wrapping_ttl` / `max_wrapping_ttl` in ms, 0 when unset. Keygate never wraps
   * responses, so a rule that sets either can never allow a request (as in Vault for an
   * unwrapped request).
   */
  readonly minWrappingTtlMs: number;
  readonly maxWrappingTtlMs: number;
  /** The pattern holds `{{identity.…}}` directives and must be rendered per principal before compiling. */
  readonly templated: boolean;
}

/** A parsed policy. `raw` is the text it was parsed from, byte for byte. */
export interface Policy {
  readonly name: string;
  readonly rules: readonly PathRule[];
  readonly raw: string;
  /** Some rule is templated, so the compiled ACL depends on the principal's entity. */
  readonly templated: boolean;
}

/** The outcome of one ACL check. `reason` is for audit and debugging only, never for a client. */
export interface Decision {
  readonly allowed: boolean;
  readonly reason: string;
  /** The pattern whose rule decided (null when no pattern matched: default deny). */
  readonly matched: string | null;
}

/** A compiled set of policies: the answer to "may this path get this capability?". */
export interface Acl {
  /**
   * Whether `capability` is allowed on `path` (no leading slash; a list request is checked
   * on the folder, with a trailing `/` added when missing). `data` is the request body, whose
   * top-level keys and values the matching rule's parameter constraints are checked against
   * (for `read`, `create`, `update` and `patch`, as Vault does).
   */
  allowed(path: string, capability: RequestCapability, data?: Readonly<Record<string, JsonValue>>): Decision;
  /** As `allowed`, and the deciding rule must also grant `sudo` (Vault's root-protected paths). */
  allowedWithSudo(path: string, capability: RequestCapability, data?: Readonly<Record<string, JsonValue>>): Decision;
  /**
   * The capabilities the deciding rule for `path` grants, sorted; `['deny']` when it denies or
   * nothing matches. Like Vault, the lookup is the list lookup (a trailing `/` also consults the
   * exact rule without it).
   */
  capabilities(path: string): Capability[];
}
