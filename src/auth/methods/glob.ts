/**
 * Glob matching for bound values (claims, service-account names and namespaces): `*`
 * matches any run of characters, every other character matches itself. No regular
 * expression is ever built from configuration or input, and the work is bounded by the
 * length caps below.
 */

/** Longest pattern or value `globMatch` considers; anything longer matches nothing. */
export const MAX_GLOB_INPUT = 1024;

/**
 * Whether `value` matches `pattern`, where `*` matches any sequence (including none).
 * Returns false when either exceeds `MAX_GLOB_INPUT` characters. Worst case
 * O(pattern × value) steps, so at most about a million for the longest inputs.
 */
export function globMatch(pattern: string, value: string): boolean {
  if (pattern.length > MAX_GLOB_INPUT || value.length > MAX_GLOB_INPUT) return false;
  let p = 0;
  let v = 0;
  // Where the last `*` was, and how much of `value` it has swallowed so far.
  let star = -1;
  let resume = 0;
  while (v < value.length) {
    const c = pattern.charCodeAt(p);
    if (p < pattern.length && c === 42 /* * */) {
      star = p;
      resume = v;
      p++;
    } else if (p < pattern.length && c === value.charCodeAt(v)) {
      p++;
      v++;
    } else if (star >= 0) {
      // Let the last `*` take one more character and retry from just after it.
      p = star + 1;
      resume++;
      v = resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern.charCodeAt(p) === 42) p++;
  return p === pattern.length;
}

/** Whether `pattern` contains a `*`, i.e. matches more than the one literal value. */
export function isGlob(pattern: string): boolean {
  return pattern.includes('*');
}
