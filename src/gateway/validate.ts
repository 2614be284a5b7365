import type { z } from 'zod';
import { ValidationError } from '../core/index.js';
import type { FieldIssue } from '../core/index.js';

/**
 * Validates `input` with `schema`, throwing `ValidationError` whose details name each bad
 * field and the reason, never the submitted value.
 */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown, what = 'request body'): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(`invalid ${what}`, fieldIssues(result.error, '(body)'));
}

/** Zod issues as `FieldIssue`s: dotted field paths and reasons that never echo the input. */
export function fieldIssues(error: z.ZodError, rootName = '(root)'): FieldIssue[] {
  return error.issues.map((issue) => ({ field: issue.path.map(String).join('.') || rootName, reason: reasonFor(issue) }));
}

function reasonFor(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown field(s): ${issue.keys.map((k) => k.slice(0, 64)).join(', ')}`;
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'invalid_value':
      return `must be one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}`;
    case 'invalid_format':
      return `must be a valid ${issue.format}`;
    default:
      return 'is invalid';
  }
}
