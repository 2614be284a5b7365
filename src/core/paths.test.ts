import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertLogicalPath, canonicalizePath, hasDotSegment } from './paths.js';
import { isGatewayError } from './errors.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return isGatewayError(err) ? err.code : 'not-a-gateway-error';
  }
};

/** The segment-by-segment algorithm, as it was before the one-pass fast path: the fast path must agree with it. */
function reference(raw: string, maxBytes: number): { path: string; trailingSlash: boolean } | string {
  const fail = (code: string) => code;
  if (raw.length > maxBytes * 3) return fail('ERR_PATH_TOO_LONG');
  if (raw === '') return { path: '', trailingSlash: false };
  const trailingSlash = raw.endsWith('/');
  const body = trailingSlash ? raw.slice(0, -1) : raw;
  if (body === '') return fail('ERR_PATH_INVALID');
  const segments: string[] = [];
  for (const rawSegment of body.split('/')) {
    if (rawSegment === '') return fail('ERR_PATH_INVALID');
    let segment = rawSegment;
    if (rawSegment.includes('%')) {
      try {
        segment = decodeURIComponent(rawSegment);
      } catch {
        return fail('ERR_PATH_INVALID');
      }
    }
    // eslint-disable-next-line no-control-regex -- controls are what is refused
    if (segment === '.' || segment === '..' || segment.includes('/') || segment.includes('\\') || /[\u0000-\u001f\u007f-\u009f]/.test(segment)) return fail('ERR_PATH_INVALID');
    segments.push(segment);
  }
  const path = segments.join('/');
  return new TextEncoder().encode(path).length > maxBytes ? fail('ERR_PATH_TOO_LONG') : { path, trailingSlash };
}

describe('canonicalizePath', () => {
  it('gives what the segment-by-segment algorithm gives, for any path (property)', () => {
    const piece = fc.constantFrom('a', 'Z', '0', '-', '.', '..', '/', '//', '%', '%2e', '%2E', '%2f', '%5c', '%41', '%zz', '\\', '\u0000', '\u001f', '\u007f', '\u0085', 'é', '🔑', ' ', '~');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 24 }), fc.constantFrom(8, 16, 512), (pieces, maxBytes) => {
        const raw = pieces.join('');
        let actual: { path: string; trailingSlash: boolean } | string;
        try {
          actual = canonicalizePath(raw, maxBytes);
        } catch (err) {
          actual = isGatewayError(err) ? err.code : 'not-a-gateway-error';
        }
        expect(actual).toEqual(reference(raw, maxBytes));
      }),
      { numRuns: 5000 },
    );
  });

  it('decodes each segment exactly once', () => {
    expect(canonicalizePath('database/postgres')).toEqual({ path: 'database/postgres', trailingSlash: false });
    expect(canonicalizePath('a%20b/c')).toEqual({ path: 'a b/c', trailingSlash: false });
    // %252e decodes once to the literal text "%2e", never to "."
    expect(canonicalizePath('a/%252e%252e/b').path).toBe('a/%2e%2e/b');
    expect(canonicalizePath('caf%C3%A9/%F0%9F%94%91').path).toBe('café/🔑');
  });

  it('keeps a trailing slash as a folder marker and accepts the empty root', () => {
    expect(canonicalizePath('app/')).toEqual({ path: 'app', trailingSlash: true });
    expect(canonicalizePath('')).toEqual({ path: '', trailingSlash: false });
  });

  it.each([
    ['..', 'dot-dot'],
    ['a/../b', 'dot-dot inside'],
    ['a/./b', 'dot'],
    ['a/%2e%2e/b', 'encoded dot-dot'],
    ['a/%2E%2e/b', 'mixed-case encoded dot-dot'],
    ['a/%2e/b', 'encoded dot'],
    ['a%2fb', 'encoded slash'],
    ['a%2Fb', 'encoded slash upper'],
    ['a%5cb', 'encoded backslash'],
    ['a\\b', 'backslash'],
    ['a%00b', 'NUL'],
    ['a%0ab', 'newline'],
    ['a%7fb', 'DEL'],
    ['a%c2%85b', 'C1 control'],
    ['a//b', 'empty segment'],
    ['/a', 'leading slash'],
    ['a%zz', 'malformed escape'],
    ['a%e0%a4', 'truncated UTF-8 escape'],
  ])('refuses %s (%s) with ERR_PATH_INVALID', (raw) => {
    expect(codeOf(() => canonicalizePath(raw))).toBe('ERR_PATH_INVALID');
  });

  it('refuses paths longer than the byte limit, counting decoded UTF-8 bytes', () => {
    expect(codeOf(() => canonicalizePath('a'.repeat(513)))).toBe('ERR_PATH_TOO_LONG');
    expect(canonicalizePath('a'.repeat(512)).path).toHaveLength(512);
    // 200 × "é" is 400 bytes: fine; 300 × "é" is 600 bytes: too long.
    expect(codeOf(() => canonicalizePath('%C3%A9'.repeat(300)))).toBe('ERR_PATH_TOO_LONG');
    expect(codeOf(() => canonicalizePath('%C3%A9'.repeat(200)))).toBeUndefined();
    expect(codeOf(() => canonicalizePath('x'.repeat(10_000)))).toBe('ERR_PATH_TOO_LONG');
  });
});

describe('assertLogicalPath', () => {
  it('accepts canonical paths and refuses the same things without decoding', () => {
    expect(assertLogicalPath('a/b c/%2e')).toBe('a/b c/%2e');
    expect(codeOf(() => assertLogicalPath('a/../b'))).toBe('ERR_PATH_INVALID');
    expect(codeOf(() => assertLogicalPath('a//b'))).toBe('ERR_PATH_INVALID');
    expect(codeOf(() => assertLogicalPath('a\u0000'))).toBe('ERR_PATH_INVALID');
  });
});

describe('hasDotSegment', () => {
  it('finds "." and ".." segments, plain or percent-encoded in any case, and nothing else', () => {
    for (const raw of ['/a/./b', '/a/../b', '/a/%2e/b', '/a/%2E%2e/b', '/a/.%2e', '/a/%2e.', '..', '/a/..', '/a/.']) expect([raw, hasDotSegment(raw)]).toEqual([raw, true]);
    for (const raw of ['/a/b', '/a/.b', '/a/b.', '/a/...', '/a/%2e%2e%2e', '/a/%2f', '/a//b', '/', '', '/a/.well-known', '/api/v1/secrets/x%2e']) {
      expect([raw, hasDotSegment(raw)]).toEqual([raw, false]);
    }
  });
});
