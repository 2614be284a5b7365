/**
 * Policy text (Vault's HCL policy syntax, or its JSON form) to a `Policy`. The syntax is read
 * by `hcl.ts`; this file gives it Vault's meaning, and refuses what Vault would silently
 * accept but Keygate cannot honour (MFA, control groups) or what is surely a mistake (a `*`
 * that is not the last character, duplicate attributes, unknown capabilities).
 */

import { ValidationError, parseDuration, utf8 } from '../core/index.js';
import type { JsonValue } from '../core/index.js';
import { HclSyntaxError, kindName, readHcl } from './hcl.js';
import type { Entry, Node, Position } from './hcl.js';
import { parseTemplate } from './template.js';
import type { Capability, PathRule, Policy } from './types.js';

/** Bounds on one policy text; every one of them is checked before the work it bounds. */
export const POLICY_LIMITS = {
  /** Policy text, in UTF-8 bytes. */
  maxTextBytes: 64 * 1024,
  /** Nesting of objects and lists (`path "p" { capabilities = [ … ] }` is 3). */
  maxDepth: 16,
  /** `path` blocks in one policy (duplicates count separately). */
  maxRules: 1000,
  /** Parameter names in one block: allowed, denied and required together. */
  maxParameters: 256,
  /** Characters in one path pattern, directives included. */
  maxPathLength: 1024,
} as const;

/** Policy names: lower-case, starting with a letter or digit, at most 128 characters. */
export const POLICY_NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/;

/** True when `name` is a well-formed policy name (says nothing about `root` or `default`). */
export function isValidPolicyName(name: string): boolean {
  return POLICY_NAME.test(name);
}

const CAPABILITY_SET: ReadonlySet<string> = new Set<Capability>(['create', 'read', 'update', 'patch', 'delete', 'list', 'sudo', 'deny']);

function isCapability(text: string): text is Capability {
  return CAPABILITY_SET.has(text);
}

/** Vault's pre-capabilities `policy = "…"` shorthand. `write` grants no `patch`, as in Vault. */
const OLD_POLICY: Readonly<Record<string, readonly Capability[]>> = {
  deny: ['deny'],
  read: ['read', 'list'],
  write: ['create', 'read', 'update', 'delete', 'list'],
  sudo: ['create', 'read', 'update', 'delete', 'list', 'sudo'],
};

const CAPABILITY_ORDER: readonly Capability[] = ['create', 'read', 'update', 'patch', 'delete', 'list', 'sudo', 'deny'];

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function where(pos: Position): string {
  return `line ${pos.line}, column ${pos.column}`;
}

function invalid(pos: Position | null, problem: string): ValidationError {
  const reason = pos === null ? problem : `${where(pos)}: ${problem}`;
  return new ValidationError(`invalid policy: ${reason}`, [{ field: 'policy', reason }]);
}

/** Objects given either directly or, in the JSON form, as a list of objects. */
function objects(node: Node, what: string): { entries: readonly Entry[] }[] {
  if (node.kind === 'object') return [node];
  if (node.kind === 'list') {
    return node.items.map((item) => {
      if (item.kind !== 'object') throw invalid(item.pos, `${what} must be an object, found ${kindName(item)}`);
      return item;
    });
  }
  throw invalid(node.pos, `${what} must be an object, found ${kindName(node)}`);
}

function strings(node: Node, what: string): { value: string; pos: Position }[] {
  if (node.kind !== 'list') throw invalid(node.pos, `${what} must be a list of strings, found ${kindName(node)}`);
  return node.items.map((item) => {
    if (item.kind !== 'string') throw invalid(item.pos, `${what} must be a list of strings, found ${kindName(item)}`);
    return { value: item.value, pos: item.pos };
  });
}

function toJson(node: Node): JsonValue {
  switch (node.kind) {
    case 'string':
    case 'number':
    case 'bool':
      return node.value;
    case 'null':
      throw invalid(node.pos, 'null is not allowed in a policy');
    case 'list':
      return node.items.map(toJson);
    case 'object': {
      const seen = new Set<string>();
      const pairs: [string, JsonValue][] = [];
      for (const entry of node.entries) {
        if (seen.has(entry.key)) throw invalid(entry.keyPos, 'duplicate key in an object');
        seen.add(entry.key);
        pairs.push([entry.key, toJson(entry.value)]);
      }
      // fromEntries defines own properties, so even a `__proto__` key stays plain data.
      return Object.fromEntries(pairs);
    }
  }
}

function parameterName(raw: string, pos: Position, wildcardAllowed: boolean): string {
  if (raw.startsWith('/')) throw invalid(pos, 'nested parameter paths are not supported; name a top-level parameter');
  if (raw.includes('*') && (raw !== '*' || !wildcardAllowed)) {
    throw invalid(pos, wildcardAllowed ? 'a parameter name is either "*" or contains no "*"' : 'a required parameter cannot be a wildcard');
  }
  // Vault compares parameter names case-insensitively (it lower-cases both sides).
  return raw.toLowerCase();
}

function parameters(node: Node, what: string): Map<string, JsonValue[]> {
  if (node.kind !== 'object') throw invalid(node.pos, `${what} must be an object of name = [values], found ${kindName(node)}`);
  const out = new Map<string, JsonValue[]>();
  for (const entry of node.entries) {
    const name = parameterName(entry.key, entry.keyPos, true);
    if (out.has(name)) throw invalid(entry.keyPos, `duplicate parameter in ${what}`);
    if (entry.value.kind !== 'list') throw invalid(entry.value.pos, `the values of a parameter in ${what} must be a list, found ${kindName(entry.value)}`);
    out.set(name, entry.value.items.map(toJson));
  }
  return out;
}

function wrappingTtl(node: Node, what: string): number {
  if (node.kind === 'number') {
    if (!Number.isInteger(node.value) || node.value < 0 || node.value > 876_000 * 3600) {
      throw invalid(node.pos, `${what} must be a whole number of seconds or a duration`);
    }
    return node.value * 1000;
  }
  if (node.kind === 'string') {
    const ms = /^[0-9]{1,10}$/.test(node.value) ? Number(node.value) * 1000 : parseDuration(node.value);
    if (ms === null) throw invalid(node.pos, `${what} must be a whole number of seconds or a duration such as "5m"`);
    return ms;
  }
  throw invalid(node.pos, `${what} must be a number of seconds or a duration string, found ${kindName(node)}`);
}

/** Checks a pattern's shape and says whether it is templated. */
function checkPattern(raw: string, pos: Position): { path: string; templated: boolean } {
  // Vault strips one leading slash: paths are relative to the API root.
  const path = raw.startsWith('/') ? raw.slice(1) : raw;
  if (path === '') throw invalid(pos, 'the path must not be empty');
  if (path.length > POLICY_LIMITS.maxPathLength) throw invalid(pos, `the path is longer than ${POLICY_LIMITS.maxPathLength} characters`);
  if (CONTROL.test(path)) throw invalid(pos, 'the path contains a control character');
  const template = parseTemplate(path);
  if ('problem' in template) throw invalid(pos, template.problem);
  // Rendered values never hold `*` or `+` (template.ts), so the shape is judged on the
  // literal text with each directive standing in as a plain character.
  const shape = template.pieces.map((piece) => (typeof piece === 'string' ? piece : 'x')).join('');
  if (shape.includes('+*')) throw invalid(pos, '"+*" is not allowed in a path');
  const star = shape.indexOf('*');
  if (star !== -1 && star !== shape.length - 1) throw invalid(pos, '"*" is only allowed as the last character of a path');
  return { path, templated: template.templated };
}

const UNSUPPORTED: Readonly<Record<string, string>> = {
  mfa_methods: 'mfa_methods is not supported by Keygate',
  control_group: 'control_group is not supported by Keygate',
};

function rule(rawPattern: string, patternPos: Position, body: { entries: readonly Entry[] }): PathRule {
  const { path, templated } = checkPattern(rawPattern, patternPos);
  const seen = new Set<string>();
  let capabilities: Capability[] = [];
  let oldStyle: readonly Capability[] = [];
  let allowed: Map<string, JsonValue[]> | null = null;
  let denied: Map<string, JsonValue[]> | null = null;
  const required: string[] = [];
  let minWrap = 0;
  let maxWrap = 0;
  let maxWrapPos: Position | null = null;

  for (const entry of body.entries) {
    if (seen.has(entry.key)) throw invalid(entry.keyPos, 'duplicate attribute in a path block');
    seen.add(entry.key);
    const value = entry.value;
    switch (entry.key) {
      case 'capabilities':
        capabilities = strings(value, 'capabilities').map(({ value: cap, pos }) => {
          if (!isCapability(cap)) throw invalid(pos, 'unknown capability (create, read, update, patch, delete, list, sudo or deny)');
          return cap;
        });
        break;
      case 'policy': {
        const mapped = value.kind === 'string' && Object.hasOwn(OLD_POLICY, value.value) ? OLD_POLICY[value.value] : undefined;
        if (mapped === undefined) throw invalid(value.pos, 'policy must be "deny", "read", "write" or "sudo"');
        oldStyle = mapped;
        break;
      }
      case 'allowed_parameters':
        allowed = parameters(value, 'allowed_parameters');
        break;
      case 'denied_parameters':
        denied = parameters(value, 'denied_parameters');
        break;
      case 'required_parameters':
        for (const { value: name, pos } of strings(value, 'required_parameters')) {
          const lower = parameterName(name, pos, false);
          if (!required.includes(lower)) required.push(lower);
        }
        break;
      case 'min_wrapping_ttl':
        minWrap = wrappingTtl(value, 'min_wrapping_ttl');
        break;
      case 'max_wrapping_ttl':
        maxWrap = wrappingTtl(value, 'max_wrapping_ttl');
        maxWrapPos = value.pos;
        break;
      case 'comment':
        if (value.kind !== 'string') throw invalid(value.pos, `comment must be a string, found ${kindName(value)}`);
        break;
      default:
        throw invalid(entry.keyPos, UNSUPPORTED[entry.key] ?? 'unknown attribute in a path block (capabilities, allowed_parameters, denied_parameters, required_parameters, min_wrapping_ttl, max_wrapping_ttl, policy, comment)');
    }
  }

  const parameterCount = (allowed?.size ?? 0) + (denied?.size ?? 0) + required.length;
  if (parameterCount > POLICY_LIMITS.maxParameters) throw invalid(patternPos, `more than ${POLICY_LIMITS.maxParameters} parameters in one path block`);
  if (minWrap > 0 && maxWrap > 0 && maxWrap < minWrap) throw invalid(maxWrapPos, 'max_wrapping_ttl cannot be less than min_wrapping_ttl');

  // `policy = "deny"` replaces the capabilities; the other shorthands add to them (Vault).
  const all = oldStyle.includes('deny') ? ['deny'] : [...capabilities, ...oldStyle];
  if (all.includes('deny')) {
    // Deny wins inside a block: nothing else it says matters (Vault stops reading it there).
    return { path, capabilities: ['deny'], allowedParameters: null, deniedParameters: null, requiredParameters: [], minWrappingTtlMs: 0, maxWrappingTtlMs: 0, templated };
  }
  const unique = CAPABILITY_ORDER.filter((c) => all.includes(c));
  return {
    path,
    capabilities: unique,
    allowedParameters: allowed,
    deniedParameters: denied,
    requiredParameters: required,
    minWrappingTtlMs: minWrap,
    maxWrappingTtlMs: maxWrap,
    templated,
  };
}

/**
 * Parses policy text, HCL or JSON, into a `Policy` named `name`. Throws `ValidationError`
 * (`ERR_VALIDATION`, field `policy` or `name`) naming the line, the column and the problem,
 * never quoting the text: malformed syntax, a limit exceeded (`POLICY_LIMITS`), an unknown
 * key, attribute or capability, an empty or malformed path, a duplicate attribute, or an
 * unsupported feature. Duplicate `path` blocks are kept as separate rules; `compileAcl`
 * merges them exactly as it merges rules from different policies (Vault).
 */
export function parsePolicy(name: string, text: string): Policy {
  if (!isValidPolicyName(name)) {
    throw new ValidationError('invalid policy name', [{ field: 'name', reason: 'must be 1 to 128 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit' }]);
  }
  // Length in UTF-16 units is a lower bound of the UTF-8 length: refuse huge text before encoding it.
  if (text.length > POLICY_LIMITS.maxTextBytes || utf8(text).length > POLICY_LIMITS.maxTextBytes) {
    throw invalid(null, `the policy text is larger than ${POLICY_LIMITS.maxTextBytes} bytes`);
  }
  let root: Node;
  try {
    root = readHcl(text, { maxDepth: POLICY_LIMITS.maxDepth });
  } catch (error) {
    if (error instanceof HclSyntaxError) throw invalid(error.pos, error.problem);
    throw error;
  }
  if (root.kind !== 'object') throw invalid(root.pos, 'a policy must be an object');

  const rules: PathRule[] = [];
  for (const entry of root.entries) {
    if (entry.key === 'name') {
      // Accepted for compatibility with Vault's files; the name comes from the API, not the text.
      if (entry.value.kind !== 'string') throw invalid(entry.value.pos, `name must be a string, found ${kindName(entry.value)}`);
      continue;
    }
    if (entry.key !== 'path') throw invalid(entry.keyPos, 'unknown top-level key (only "path" blocks and "name" are allowed)');
    for (const block of objects(entry.value, 'a path block')) {
      for (const pattern of block.entries) {
        for (const body of objects(pattern.value, 'the body of a path block')) {
          if (rules.length >= POLICY_LIMITS.maxRules) throw invalid(pattern.keyPos, `more than ${POLICY_LIMITS.maxRules} path blocks`);
          rules.push(rule(pattern.key, pattern.keyPos, body));
        }
      }
    }
  }
  return { name, rules, raw: text, templated: rules.some((r) => r.templated) };
}
