/**
 * Path patterns: literal segments, `{name}` (exactly one segment), and a final `{name+}`
 * (one or more) or `{name*}` (zero or more). Patterns are compiled once, when an engine is
 * defined, so a malformed one fails at startup rather than on the first request.
 */

/** One compiled segment of a pattern. */
export type PatternSegment =
  | { kind: 'literal'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'rest'; name: string; min: 0 | 1 };

/** A pattern ready to match canonical relative paths. */
export interface CompiledPattern {
  readonly source: string;
  readonly segments: readonly PatternSegment[];
}

const NAME = /^[a-z_][a-z0-9_]{0,63}$/;
const PARAM = /^\{([^{}]+?)([+*]?)\}$/;

/**
 * Compiles a pattern. Throws `TypeError` for a programming mistake: an empty or slashed
 * segment, a bad or repeated parameter name, or a `+`/`*` parameter that is not last.
 */
export function compilePattern(source: string): CompiledPattern {
  if (source === '') return { source, segments: [] };
  const raw = source.split('/');
  const segments: PatternSegment[] = [];
  const names = new Set<string>();
  raw.forEach((part, index) => {
    if (part === '') throw new TypeError(`pattern "${source}": empty segment`);
    const match = PARAM.exec(part);
    if (match === null) {
      if (part.includes('{') || part.includes('}')) throw new TypeError(`pattern "${source}": malformed parameter "${part}"`);
      segments.push({ kind: 'literal', value: part });
      return;
    }
    const name = match[1] ?? '';
    const modifier = match[2] ?? '';
    if (!NAME.test(name)) throw new TypeError(`pattern "${source}": bad parameter name "${name}"`);
    if (names.has(name)) throw new TypeError(`pattern "${source}": parameter "${name}" repeats`);
    names.add(name);
    if (modifier === '') {
      segments.push({ kind: 'param', name });
      return;
    }
    if (index !== raw.length - 1) throw new TypeError(`pattern "${source}": "{${name}${modifier}}" must be the last segment`);
    segments.push({ kind: 'rest', name, min: modifier === '+' ? 1 : 0 });
  });
  return { source, segments };
}

/**
 * Matches a canonical relative path (decoded, no leading or trailing slash, `""` for the
 * mount root). Returns the captured parameters, or null when the pattern does not match.
 */
export function matchPattern(pattern: CompiledPattern, path: string): Record<string, string> | null {
  const parts = path === '' ? [] : path.split('/');
  const params: Record<string, string> = {};
  const { segments } = pattern;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (segment === undefined) return null;
    if (segment.kind === 'rest') {
      const rest = parts.slice(i);
      if (rest.length < segment.min) return null;
      params[segment.name] = rest.join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined) return null;
    if (segment.kind === 'literal') {
      if (part !== segment.value) return null;
    } else {
      params[segment.name] = part;
    }
  }
  return parts.length === segments.length ? params : null;
}

/** The OpenAPI template of a pattern: `{name+}` and `{name*}` become `{name}`. */
export function openApiTemplate(pattern: CompiledPattern): string {
  return pattern.segments
    .map((segment) => (segment.kind === 'literal' ? segment.value : `{${segment.name}}`))
    .join('/');
}

/** The parameter names a pattern captures, in order. */
export function patternParams(pattern: CompiledPattern): string[] {
  const names: string[] = [];
  for (const segment of pattern.segments) if (segment.kind !== 'literal') names.push(segment.name);
  return names;
}

/** Whether the pattern matches the mount root `""`. */
export function matchesRoot(pattern: CompiledPattern): boolean {
  return matchPattern(pattern, '') !== null;
}
