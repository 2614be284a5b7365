/**
 * Templated policy paths (Vault's ACL templating): `{{identity.entity.id}}`,
 * `{{identity.entity.name}}`, `{{identity.entity.metadata.KEY}}`,
 * `{{identity.entity.aliases.MOUNT_ACCESSOR.name}}` and
 * `{{identity.entity.aliases.MOUNT_ACCESSOR.metadata.KEY}}`, rendered per principal before
 * the ACL is compiled.
 *
 * The safety rule: a rendered value must be one plain, non-empty piece of a path segment.
 * When a value is missing, empty, too long, or holds `/`, `*`, `+`, `{`, `}`, `\`, `..`, is
 * `.`, or holds a control character, the whole rule is dropped, so templating can only ever
 * narrow a policy, never widen it. (Vault rejects `*` and `+` and, only when configured to,
 * `/`; Keygate always rejects all of them.)
 */

import type { PathRule, Policy } from './types.js';

/** What a template can read about the principal: the core `Entity`, aliases optionally with metadata. */
export interface TemplateEntity {
  readonly id: string;
  readonly name: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly aliases: readonly {
    readonly mountAccessor: string;
    readonly name: string;
    readonly metadata?: Readonly<Record<string, string>>;
  }[];
}

type Directive =
  | { readonly kind: 'entity-id' }
  | { readonly kind: 'entity-name' }
  | { readonly kind: 'entity-metadata'; readonly key: string }
  | { readonly kind: 'alias-name'; readonly accessor: string }
  | { readonly kind: 'alias-metadata'; readonly accessor: string; readonly key: string };

type Piece = string | Directive;

/** Longest value a directive may render to; a logical path is at most 512 bytes anyway. */
export const MAX_TEMPLATE_VALUE_LENGTH = 256;

const ENTITY = 'identity.entity.';

function directive(text: string): Directive | string {
  if (!text.startsWith(ENTITY)) return 'unsupported template directive (only identity.entity.… is available)';
  const rest = text.slice(ENTITY.length);
  if (rest === 'id') return { kind: 'entity-id' };
  if (rest === 'name') return { kind: 'entity-name' };
  if (rest.startsWith('metadata.')) {
    const key = rest.slice('metadata.'.length);
    return key === '' ? 'a metadata directive needs a key' : { kind: 'entity-metadata', key };
  }
  if (rest.startsWith('aliases.')) {
    const selector = rest.slice('aliases.'.length);
    const dot = selector.indexOf('.');
    if (dot <= 0) return 'an alias directive needs a mount accessor and a field';
    const accessor = selector.slice(0, dot);
    const field = selector.slice(dot + 1);
    if (field === 'name') return { kind: 'alias-name', accessor };
    if (field.startsWith('metadata.') && field.length > 'metadata.'.length) {
      return { kind: 'alias-metadata', accessor, key: field.slice('metadata.'.length) };
    }
    return 'unsupported alias field (name or metadata.KEY)';
  }
  return 'unsupported entity field (id, name, metadata.KEY or aliases.ACCESSOR.…)';
}

/**
 * Splits a pattern into literal text and directives, as Vault does (`{{ … }}`, whitespace
 * inside the braces ignored). Returns a problem description (never quoting the pattern) when
 * the braces are unbalanced or a directive is not supported.
 */
export function parseTemplate(pattern: string): { pieces: Piece[]; templated: boolean } | { problem: string } {
  const parts = pattern.split('{{');
  const head = parts[0] ?? '';
  if (head.includes('}}')) return { problem: 'unbalanced "{{" and "}}" in the path' };
  const pieces: Piece[] = [head];
  for (let i = 1; i < parts.length; i++) {
    const inner = (parts[i] ?? '').split('}}');
    if (inner.length !== 2) return { problem: 'unbalanced "{{" and "}}" in the path' };
    const parsed = directive((inner[0] ?? '').trim());
    if (typeof parsed === 'string') return { problem: parsed };
    pieces.push(parsed, inner[1] ?? '');
  }
  return { pieces, templated: parts.length > 1 };
}

// C0 controls, DEL and C1 controls.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[/*+{}\\\u0000-\u001f\u007f-\u009f]/;

/** True when `value` may stand in a policy path: one plain, non-empty piece of a segment. */
export function isSafeTemplateValue(value: string | undefined): value is string {
  return (
    value !== undefined &&
    value.length > 0 &&
    value.length <= MAX_TEMPLATE_VALUE_LENGTH &&
    value !== '.' &&
    !value.includes('..') &&
    !UNSAFE.test(value)
  );
}

function own(map: Readonly<Record<string, string>> | undefined, key: string): string | undefined {
  // `hasOwn`, not `map[key]`: a key such as `constructor` must not reach Object.prototype.
  if (map === undefined || !Object.hasOwn(map, key)) return undefined;
  const value: unknown = map[key];
  return typeof value === 'string' ? value : undefined;
}

function evaluate(d: Directive, entity: TemplateEntity): string | undefined {
  switch (d.kind) {
    case 'entity-id':
      return entity.id;
    case 'entity-name':
      return entity.name;
    case 'entity-metadata':
      return own(entity.metadata, d.key);
    case 'alias-name':
      return entity.aliases.find((a) => a.mountAccessor === d.accessor)?.name;
    case 'alias-metadata':
      return own(entity.aliases.find((a) => a.mountAccessor === d.accessor)?.metadata, d.key);
  }
}

/**
 * The pattern with every directive replaced by the entity's value, or null when the rule must
 * be dropped: no entity, a missing value, or a value that fails `isSafeTemplateValue`.
 */
export function renderPattern(pattern: string, entity: TemplateEntity | undefined): string | null {
  const parsed = parseTemplate(pattern);
  if ('problem' in parsed) return null;
  if (!parsed.templated) return pattern;
  if (entity === undefined) return null;
  let out = '';
  for (const piece of parsed.pieces) {
    if (typeof piece === 'string') {
      out += piece;
      continue;
    }
    const value = evaluate(piece, entity);
    if (!isSafeTemplateValue(value)) return null;
    out += value;
  }
  return out;
}

/**
 * The policy as it applies to `entity`: templated rules rendered, or dropped when they cannot
 * be rendered safely. A policy without templates is returned as is.
 */
export function renderPolicy(policy: Policy, entity: TemplateEntity | undefined): Policy {
  if (!policy.templated) return policy;
  const rules: PathRule[] = [];
  for (const rule of policy.rules) {
    if (!rule.templated) {
      rules.push(rule);
      continue;
    }
    const path = renderPattern(rule.path, entity);
    if (path !== null) rules.push({ ...rule, path, templated: false });
  }
  return { name: policy.name, raw: policy.raw, rules, templated: false };
}

function sortedEntries(map: Readonly<Record<string, string>> | undefined): [string, string][] {
  return map === undefined ? [] : Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A string that is equal for two entities exactly when every template renders the same for both. */
export function templateInputsKey(entity: TemplateEntity | undefined): string {
  if (entity === undefined) return 'none';
  return JSON.stringify([
    entity.id,
    entity.name,
    sortedEntries(entity.metadata),
    entity.aliases.map((a) => [a.mountAccessor, a.name, sortedEntries(a.metadata)]),
  ]);
}
