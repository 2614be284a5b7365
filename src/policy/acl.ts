/**
 * The ACL: rules from several policies merged per pattern, and the matcher that finds the
 * one rule deciding a request. Vault's semantics (vault/acl.go), rule for rule:
 *
 * - Rules with the same pattern merge: capabilities are unioned, but `deny` in any of them
 *   makes the pattern deny everything; parameter lists merge (an empty list, meaning "any
 *   value", wins over values), required parameters are unioned, the smaller wrapping TTLs win.
 * - A request path is decided by one rule only: an exact pattern equal to the path; else the
 *   highest-priority matching pattern with `*` (trailing prefix glob) or `+` (one segment):
 *   (1) the first `+` or `*` later in the pattern wins; (2) a pattern not ending in `*` beats
 *   one that does; (3) fewer `+` segments win; (4) the longer pattern wins; (5) the
 *   lexically greater pattern wins. No match: denied.
 * - A list request on `folder/` first tries the exact rule `folder`, then the glob and
 *   segment rules matching `folder`, and only then those matching `folder/`.
 */

import { compareKeys } from '../core/index.js';
import type { JsonValue } from '../core/index.js';
import type { Acl, Capability, Decision, PathRule, Policy, RequestCapability } from './types.js';

const BIT: Readonly<Record<Capability, number>> = {
  deny: 1,
  create: 2,
  read: 4,
  update: 8,
  delete: 16,
  list: 32,
  sudo: 64,
  patch: 128,
};

/** Alphabetical, the order `sys/capabilities-self` answers in. */
const REPORT_ORDER: readonly Exclude<Capability, 'deny'>[] = ['create', 'delete', 'list', 'patch', 'read', 'sudo', 'update'];

type ParameterMap = Map<string, JsonValue[]>;

/** The merged rule of one pattern. Mutable only while the ACL is being compiled. */
interface Permissions {
  readonly pattern: string;
  caps: number;
  allowed: ParameterMap | null;
  denied: ParameterMap | null;
  required: string[];
  minWrap: number;
  maxWrap: number;
}

/** A pattern with `+` segments, pre-split for matching, with its priority keys. */
interface SegmentRule {
  readonly parts: readonly string[];
  readonly isPrefix: boolean;
  readonly firstWildcard: number;
  readonly wildcards: number;
  /** The pattern without its trailing `*`: what the length and lexical tie-breaks compare. */
  readonly wcPath: string;
  readonly perms: Permissions;
}

/** One matching non-exact rule with the keys the priority order compares. */
interface Candidate {
  readonly firstWildcard: number;
  readonly isPrefix: boolean;
  readonly wildcards: number;
  readonly wcPath: string;
  readonly perms: Permissions;
}

/** True when `a` has lower priority than `b` (Vault's order; see the file comment). */
function lowerPriority(a: Candidate, b: Candidate): boolean {
  if (a.firstWildcard !== b.firstWildcard) return a.firstWildcard < b.firstWildcard;
  if (a.isPrefix !== b.isPrefix) return a.isPrefix;
  if (a.wildcards !== b.wildcards) return a.wildcards > b.wildcards;
  if (a.wcPath.length !== b.wcPath.length) return a.wcPath.length < b.wcPath.length;
  // Go compares strings byte-wise in UTF-8, which is code-point order.
  return compareKeys(a.wcPath, b.wcPath) < 0;
}

/** Vault's test for a pattern with segment wildcards: `+` alone, a `/+` anywhere, or a leading `+/`. */
function hasSegmentWildcards(pattern: string): boolean {
  return pattern === '+' || pattern.includes('/+') || pattern.startsWith('+/');
}

function copyParameters(map: ReadonlyMap<string, readonly JsonValue[]> | null): ParameterMap | null {
  if (map === null) return null;
  return new Map([...map].map(([key, values]) => [key, [...values]]));
}

function mergeParameters(existing: ParameterMap | null, added: ReadonlyMap<string, readonly JsonValue[]> | null): ParameterMap | null {
  if (added === null || added.size === 0) return existing;
  if (existing === null) return copyParameters(added);
  for (const [key, values] of added) {
    const current = existing.get(key);
    // An empty list (any value) absorbs lists of values, whichever side it comes from.
    if (values.length === 0 || (current !== undefined && current.length === 0)) existing.set(key, []);
    else existing.set(key, [...values, ...(current ?? [])]);
  }
  return existing;
}

function capabilityBits(capabilities: readonly Capability[]): number {
  let bits = 0;
  for (const c of capabilities) bits |= BIT[c];
  return bits;
}

function fromRule(rule: PathRule): Permissions {
  return {
    pattern: rule.path,
    caps: capabilityBits(rule.capabilities),
    allowed: copyParameters(rule.allowedParameters),
    denied: copyParameters(rule.deniedParameters),
    required: [...rule.requiredParameters],
    minWrap: rule.minWrappingTtlMs,
    maxWrap: rule.maxWrappingTtlMs,
  };
}

/** Merges `rule` into the permissions already held for its pattern (Vault's NewACL). */
function mergeInto(existing: Permissions, rule: PathRule): void {
  if (existing.caps & BIT.deny) return;
  const added = capabilityBits(rule.capabilities);
  if (added & BIT.deny) {
    existing.caps = BIT.deny;
    existing.allowed = null;
    existing.denied = null;
    return;
  }
  existing.caps |= added;
  if (rule.maxWrappingTtlMs > 0 && (existing.maxWrap === 0 || rule.maxWrappingTtlMs < existing.maxWrap)) existing.maxWrap = rule.maxWrappingTtlMs;
  if (rule.minWrappingTtlMs > 0 && (existing.minWrap === 0 || rule.minWrappingTtlMs < existing.minWrap)) existing.minWrap = rule.minWrappingTtlMs;
  existing.allowed = mergeParameters(existing.allowed, rule.allowedParameters);
  existing.denied = mergeParameters(existing.denied, rule.deniedParameters);
  for (const name of rule.requiredParameters) if (!existing.required.includes(name)) existing.required.push(name);
}

/** Vault's glob for parameter values: a leading and/or trailing `*`; a one-character pattern is literal. */
function globMatch(pattern: string, value: string): boolean {
  if (pattern.length < 2) return pattern === value;
  const leading = pattern.startsWith('*');
  const trailing = pattern.endsWith('*');
  if (leading && trailing) return value.includes(pattern.slice(1, -1));
  if (leading) return value.endsWith(pattern.slice(1));
  if (trailing) return value.startsWith(pattern.slice(0, -1));
  return pattern === value;
}

function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => {
      const other = b[i];
      return other !== undefined && jsonEqual(item, other);
    });
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => {
    const left = a[key];
    const right = Object.hasOwn(b, key) ? b[key] : undefined;
    return left !== undefined && right !== undefined && jsonEqual(left, right);
  });
}

function inList(value: JsonValue, list: readonly JsonValue[]): boolean {
  return list.some((item) => {
    if (item === null || value === null) return item === value;
    if (typeof item === 'string') return typeof value === 'string' && globMatch(item, value);
    return jsonEqual(item, value);
  });
}

/** Vault reads a string as a comma-separated list too (fields of type comma-string-slice). */
function commaList(value: string): string[] {
  return value.split(',').map((part) => part.trim());
}

function valueAllowed(value: JsonValue, list: readonly JsonValue[]): boolean {
  if (list.length === 0 || inList(value, list)) return true;
  if (Array.isArray(value)) return value.every((item) => inList(item, list));
  // Deliberate deviation: Vault lets "" through any list (it reads as an empty comma list).
  if (typeof value === 'string' && value !== '') return commaList(value).every((item) => inList(item, list));
  return false;
}

function valueDenied(value: JsonValue, list: readonly JsonValue[]): boolean {
  if (list.length === 0 || inList(value, list)) return true;
  if (Array.isArray(value)) return value.some((item) => inList(item, list));
  if (typeof value === 'string' && value !== '') return commaList(value).some((item) => inList(item, list));
  return false;
}

const PARAMETER_CHECKED: ReadonlySet<RequestCapability> = new Set<RequestCapability>(['read', 'create', 'update', 'patch']);

function decision(allowed: boolean, reason: string, perms: Permissions | null): Decision {
  return { allowed, reason, matched: perms === null ? null : perms.pattern };
}

/** Checks the request body against the deciding rule's parameter constraints (Vault's order). */
function checkParameters(perms: Permissions, data: Readonly<Record<string, JsonValue>>): Decision {
  for (const name of perms.required) {
    if (!Object.hasOwn(data, name)) return decision(false, 'a required parameter is missing', perms);
  }
  const keys = Object.keys(data);
  if (keys.length === 0) return decision(true, 'allowed', perms);
  const { denied, allowed } = perms;
  if (denied !== null && denied.size > 0) {
    if (denied.has('*')) return decision(false, 'every parameter is denied', perms);
    for (const key of keys) {
      const list = denied.get(key.toLowerCase());
      const value = data[key];
      if (list !== undefined && value !== undefined && valueDenied(value, list)) return decision(false, 'a parameter value is denied', perms);
    }
  }
  if (allowed === null || allowed.size === 0) return decision(true, 'allowed', perms);
  const allowedAll = allowed.has('*');
  if (allowed.size === 1 && allowedAll) return decision(true, 'allowed', perms);
  for (const key of keys) {
    const list = allowed.get(key.toLowerCase());
    const value = data[key];
    if (list === undefined) {
      if (!allowedAll) return decision(false, 'a parameter is not allowed', perms);
      continue;
    }
    if (value !== undefined && !valueAllowed(value, list)) return decision(false, 'a parameter value is not allowed', perms);
  }
  return decision(true, 'allowed', perms);
}

function stripLeadingSlashes(path: string): string {
  let i = 0;
  while (i < path.length && path.charCodeAt(i) === 47) i++;
  return path.slice(i);
}

class CompiledAcl implements Acl {
  private readonly exact = new Map<string, Permissions>();
  /** Plain `prefix*` patterns, keyed by the prefix. */
  private readonly prefixes = new Map<string, Permissions>();
  /** Patterns with `+` segments, keyed by the whole pattern. */
  private readonly segments = new Map<string, Permissions>();
  private readonly segmentRules: SegmentRule[];
  /** The distinct lengths of the plain prefixes, longest first: the only slices worth looking up. */
  private readonly prefixLengths: number[];

  constructor(policies: readonly Policy[]) {
    for (const policy of policies) {
      for (const rule of policy.rules) {
        // A template left unrendered can never be matched literally; renderPolicy comes first.
        if (rule.templated) continue;
        this.add(rule);
      }
    }
    this.prefixLengths = [...new Set([...this.prefixes.keys()].map((k) => k.length))].sort((a, b) => b - a);
    this.segmentRules = [...this.segments].map(([pattern, perms]) => {
      const isPrefix = pattern.endsWith('*');
      const wcPath = isPrefix ? pattern.slice(0, -1) : pattern;
      const parts = wcPath.split('/');
      return {
        parts,
        isPrefix,
        firstWildcard: pattern.indexOf('+'),
        wildcards: parts.filter((p) => p === '+').length,
        wcPath,
        perms,
      };
    });
  }

  private add(rule: PathRule): void {
    const pattern = rule.path;
    let table: Map<string, Permissions>;
    let key = pattern;
    if (hasSegmentWildcards(pattern)) table = this.segments;
    else if (pattern.endsWith('*')) {
      table = this.prefixes;
      key = pattern.slice(0, -1);
    } else table = this.exact;
    const existing = table.get(key);
    if (existing === undefined) table.set(key, fromRule(rule));
    else mergeInto(existing, rule);
  }

  /** The rule deciding `path` among glob and segment patterns, or null. */
  private nonExact(path: string): Permissions | null {
    let best: Candidate | null = null;
    // Among plain prefixes only the longest can win: its first (only) glob is the latest.
    for (const length of this.prefixLengths) {
      if (length > path.length) continue;
      const prefix = path.slice(0, length);
      const perms = this.prefixes.get(prefix);
      if (perms !== undefined) {
        best = { firstWildcard: prefix.length, isPrefix: true, wildcards: 0, wcPath: prefix, perms };
        break;
      }
    }
    if (this.segmentRules.length === 0) return best?.perms ?? null;
    const pathParts = path.split('/');
    for (const rule of this.segmentRules) {
      if (!this.segmentMatches(rule, pathParts)) continue;
      if (best === null || lowerPriority(best, rule)) best = rule;
    }
    return best?.perms ?? null;
  }

  private segmentMatches(rule: SegmentRule, pathParts: readonly string[]): boolean {
    const { parts, isPrefix } = rule;
    if (pathParts.length < parts.length) return false;
    if (!isPrefix && pathParts.length !== parts.length) return false;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] ?? '';
      const actual = pathParts[i] ?? '';
      if (part === '+' || part === actual) continue;
      if (isPrefix && i === parts.length - 1 && actual.startsWith(part)) continue;
      return false;
    }
    return true;
  }

  /** The deciding rule for `path` (Vault's AllowOperation lookup order). */
  private lookup(path: string, list: boolean): Permissions | null {
    const exact = this.exact.get(path);
    if (exact !== undefined) return exact;
    const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
    if (list) {
      const folder = this.exact.get(trimmed);
      if (folder !== undefined) return folder;
      if (trimmed !== path) {
        const byFolder = this.nonExact(trimmed);
        if (byFolder !== null) return byFolder;
      }
    }
    return this.nonExact(path);
  }

  private evaluate(
    path: string,
    capability: RequestCapability,
    data: Readonly<Record<string, JsonValue>> | undefined,
  ): { decision: Decision; perms: Permissions | null } {
    let target = stripLeadingSlashes(path);
    const list = capability === 'list';
    // Vault's HTTP layer sends every list request for the folder, with a trailing slash.
    if (list && target !== '' && !target.endsWith('/')) target += '/';
    const perms = this.lookup(target, list);
    const outcome = (result: Decision): { decision: Decision; perms: Permissions | null } => ({ decision: result, perms });
    if (perms === null) return outcome(decision(false, 'no rule matches the path', null));
    if (perms.caps & BIT.deny) return outcome(decision(false, 'the matching rule denies', perms));
    if ((perms.caps & BIT[capability]) === 0) return outcome(decision(false, 'the matching rule does not grant the capability', perms));
    // Keygate never wraps responses, and Vault refuses an unwrapped request under such a rule.
    if (perms.minWrap > 0 || perms.maxWrap > 0) return outcome(decision(false, 'the matching rule requires response wrapping', perms));
    if (PARAMETER_CHECKED.has(capability)) return outcome(checkParameters(perms, data ?? {}));
    return outcome(decision(true, 'allowed', perms));
  }

  allowed(path: string, capability: RequestCapability, data?: Readonly<Record<string, JsonValue>>): Decision {
    return this.evaluate(path, capability, data).decision;
  }

  allowedWithSudo(path: string, capability: RequestCapability, data?: Readonly<Record<string, JsonValue>>): Decision {
    const { decision: result, perms } = this.evaluate(path, capability, data);
    if (!result.allowed) return result;
    if (perms === null || (perms.caps & BIT.sudo) === 0) return { ...result, allowed: false, reason: 'the matching rule does not grant sudo' };
    return result;
  }

  capabilities(path: string): Capability[] {
    const perms = this.lookup(stripLeadingSlashes(path), true);
    if (perms === null || perms.caps & BIT.deny) return ['deny'];
    const granted = REPORT_ORDER.filter((c) => (perms.caps & BIT[c]) !== 0);
    return granted.length === 0 ? ['deny'] : granted;
  }
}

/**
 * Compiles policies into an `Acl`, merging rules of identical patterns across and within
 * policies as Vault does. Templated rules must have been rendered (`renderPolicy`); any left
 * unrendered are ignored. Never throws.
 */
export function compileAcl(policies: readonly Policy[]): Acl {
  return new CompiledAcl(policies);
}
