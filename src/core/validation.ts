/**
 * Input validation that can never echo input. Zod's own messages are not used: every
 * reason is built here from the issue's code and the schema's expectations (type, bounds,
 * allowed literals), so no submitted value, however wrong, reaches an error message or
 * `details`. A field name is echoed only in the style of the engines' own field names
 * (lower-case snake_case, at most 64 characters): that keeps the useful case, a typo of a
 * real field, while a key that is really data (a token used as a map key, say) is shown as
 * `[key]`.
 */

import { z } from 'zod';
import { ValidationError } from './errors.js';
import type { FieldIssue } from './errors.js';

/** Field names that are safe to echo: snake_case like every declared field, and short. */
const ECHOABLE_KEY = /^[a-z][a-z0-9_]{0,63}$/;

/** Longest list of issues one error carries; the rest are summarised. */
const MAX_ISSUES = 20;

/** What stands in for a field name that is not echoed. */
const HIDDEN_KEY = '[key]';

/** Renders a key for `FieldIssue.field`, hiding anything that does not look like a name. */
export function fieldKey(key: PropertyKey): string {
  if (typeof key === 'number') return String(key);
  if (typeof key === 'string' && ECHOABLE_KEY.test(key)) return key;
  return HIDDEN_KEY;
}

/** Joins a prefix and an issue path into a dotted field name. */
export function fieldName(prefix: readonly PropertyKey[], path: readonly PropertyKey[]): string {
  const all = [...prefix, ...path];
  if (all.length === 0) return 'body';
  return all.map(fieldKey).join('.');
}

const ARTICLE_TYPES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  bigint: 'an integer',
  object: 'an object',
  record: 'an object',
  array: 'an array',
  tuple: 'an array',
  null: 'null',
  date: 'a date',
  map: 'an object',
  set: 'an array',
};

function typeName(expected: string): string {
  return ARTICLE_TYPES[expected] ?? 'a valid value';
}

function literal(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return 'a fixed value';
}

/** Looks up the submitted value at `path`, only to tell "missing" from "wrong type". */
function isPresent(input: unknown, path: readonly PropertyKey[]): boolean {
  let current: unknown = input;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return false;
    if (typeof key === 'symbol') return false;
    if (!Object.prototype.hasOwnProperty.call(current, key)) return false;
    current = Reflect.get(current, key);
  }
  return current !== undefined;
}

function bound(origin: string, limit: number | bigint, inclusive: boolean, side: 'max' | 'min'): string {
  const n = String(limit);
  const most = side === 'max' ? (inclusive ? 'at most' : 'fewer than') : inclusive ? 'at least' : 'more than';
  switch (origin) {
    case 'string':
      if (side === 'min' && inclusive && n === '1') return 'must not be empty';
      return `must be ${most} ${n} characters long`;
    case 'array':
    case 'set':
      if (side === 'min' && inclusive && n === '1') return 'must not be empty';
      return `must have ${most} ${n} items`;
    case 'number':
    case 'int':
    case 'bigint': {
      const cmp = side === 'max' ? (inclusive ? 'at most' : 'less than') : inclusive ? 'at least' : 'greater than';
      return `must be ${cmp} ${n}`;
    }
    default:
      return side === 'max' ? 'is too large' : 'is too small';
  }
}

/** Builds the reason for one issue from its code and expectations only. */
function reasonFor(issue: z.core.$ZodIssue, input: unknown, fullPath: readonly PropertyKey[]): string {
  switch (issue.code) {
    case 'invalid_type':
      if (!isPresent(input, fullPath)) return 'is required';
      return `must be ${typeName(issue.expected)}`;
    case 'too_big':
      return bound(issue.origin, issue.maximum, issue.inclusive ?? true, 'max');
    case 'too_small':
      return bound(issue.origin, issue.minimum, issue.inclusive ?? true, 'min');
    case 'invalid_format':
      return issue.format === 'regex' ? 'has an invalid format' : `must be a valid ${issue.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'unrecognized_keys':
      return 'is not a known field';
    case 'invalid_union': {
      // A nullable or multi-type field: name the types its branches expect.
      const expected = new Set<string>();
      for (const branch of issue.errors) {
        for (const sub of branch) {
          if (sub.path.length === 0 && sub.code === 'invalid_type') expected.add(typeName(sub.expected));
        }
      }
      if (!isPresent(input, fullPath)) return 'is required';
      return expected.size > 0 ? `must be ${[...expected].join(' or ')}` : 'does not match any allowed form';
    }
    case 'invalid_key': {
      const first = issue.issues[0];
      return first === undefined ? 'is not an allowed key' : `is not an allowed key: it ${reasonFor(first, null, [])}`;
    }
    case 'invalid_element':
      return 'has an invalid element';
    case 'invalid_value':
      if (issue.values.length === 1) return `must be ${literal(issue.values[0])}`;
      return `must be one of ${issue.values.map(literal).join(', ')}`;
    case 'custom':
      // Custom messages are written by engine authors next to their schemas, and never
      // interpolate the input (a rule every schema in src/native-engines keeps).
      return issue.message;
    default:
      return 'is invalid';
  }
}

/**
 * Turns zod issues into `FieldIssue`s whose reasons never contain the submitted value.
 * `prefix` names where the input sits (`['options']`, or `[]` for a body).
 */
export function toFieldIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  prefix: readonly PropertyKey[] = [],
): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ field: fieldName(prefix, [...issue.path, key]), reason: 'is not a known field' });
      }
      continue;
    }
    out.push({ field: fieldName(prefix, issue.path), reason: reasonFor(issue, input, issue.path) });
  }
  return out;
}

/** Caps a list of issues, so one hostile input cannot produce an unbounded error. */
export function capIssues(issues: FieldIssue[]): FieldIssue[] {
  if (issues.length <= MAX_ISSUES) return issues;
  return [
    ...issues.slice(0, MAX_ISSUES),
    { field: '…', reason: `${issues.length - MAX_ISSUES} more problems not listed` },
  ];
}

/** The declared field names of an object schema, or null for any other schema. */
export function declaredKeys(schema: z.ZodType): ReadonlySet<string> | null {
  return schema instanceof z.ZodObject ? new Set(Object.keys(schema.shape)) : null;
}

/** Issues for the keys of `input` that `known` does not declare. */
export function unknownKeyIssues(
  input: Readonly<Record<string, unknown>>,
  known: ReadonlySet<string>,
  prefix: readonly PropertyKey[] = [],
): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const key of Object.keys(input)) {
    if (!known.has(key)) out.push({ field: fieldName(prefix, [key]), reason: 'is not a known field' });
  }
  return out;
}

/** The result of validating one input: the typed value, or the problems found. */
export type Checked<T> = { ok: true; value: T } | { ok: false; issues: FieldIssue[] };

/**
 * Validates `input` against `schema`, refusing undeclared keys of an object schema first.
 * Never throws for bad input; the caller gathers issues from several inputs into one error.
 */
export function check<T>(
  schema: z.ZodType<T>,
  input: unknown,
  prefix: readonly PropertyKey[] = [],
): Checked<T> {
  const known = declaredKeys(schema);
  const unknown =
    known !== null && typeof input === 'object' && input !== null && !Array.isArray(input)
      ? unknownKeyIssues(Object.fromEntries(Object.entries(input)), known, prefix)
      : [];
  const result = schema.safeParse(input);
  if (result.success && unknown.length === 0) return { ok: true, value: result.data };
  const issues = result.success ? [] : toFieldIssues(result.error.issues, input, prefix);
  return { ok: false, issues: dedupe([...unknown, ...issues]) };
}

function dedupe(issues: FieldIssue[]): FieldIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.field}\u0000${issue.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Validates `input` or throws `ValidationError` (`message` as given, `details` naming each bad field). */
export function parseOrThrow<T>(
  schema: z.ZodType<T>,
  input: unknown,
  message: string,
  prefix: readonly PropertyKey[] = [],
): T {
  const checked = check(schema, input, prefix);
  if (checked.ok) return checked.value;
  throw invalidInput(message, checked.issues);
}

/** A `ValidationError` whose message lists the fields (not the reasons' values: there are none). */
export function invalidInput(message: string, issues: FieldIssue[]): ValidationError {
  const capped = capIssues(issues);
  const summary = capped
    .slice(0, 5)
    .map((issue) => `${issue.field} ${issue.reason}`)
    .join('; ');
  return new ValidationError(summary === '' ? message : `${message}: ${summary}`, capped);
}
