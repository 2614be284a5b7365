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

describe('canonicalizePath', () => {
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
