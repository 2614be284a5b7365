import { describe, expect, it } from 'vitest';
import { jsonDepth, parseJsonObject } from './json.js';
import { isGatewayError } from './errors.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return isGatewayError(err) ? err.code : 'other';
  }
};

describe('JSON bounds', () => {
  it('measures depth without parsing, ignoring brackets inside strings', () => {
    expect(jsonDepth('1')).toBe(0);
    expect(jsonDepth('{}')).toBe(1);
    expect(jsonDepth('{"a":[{"b":1}]}')).toBe(3);
    expect(jsonDepth('{"a":"[[[{{{\\"]]]"}')).toBe(1);
  });

  it('refuses documents nested past the limit before parsing them', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(codeOf(() => parseJsonObject(deep, 32))).toBe('ERR_JSON_TOO_DEEP');
    const ok = `${'{"a":'.repeat(31)}1${'}'.repeat(31)}`;
    expect(codeOf(() => parseJsonObject(ok, 32))).toBeUndefined();
    expect(codeOf(() => parseJsonObject(`{"x":${ok}}`, 32))).toBe(undefined);
    expect(codeOf(() => parseJsonObject(`{"x":{"y":${ok}}}`, 32))).toBe('ERR_JSON_TOO_DEEP');
  });

  it('accepts only JSON objects and never quotes the input in errors', () => {
    for (const text of ['[1]', '"s"', '1', 'null']) expect(codeOf(() => parseJsonObject(text))).toBe('ERR_INVALID_JSON');
    try {
      parseJsonObject('{"password": "CANARY-value-123" oops}');
      expect.unreachable();
    } catch (err) {
      expect(isGatewayError(err, 'ERR_INVALID_JSON')).toBe(true);
      expect(String(err)).not.toContain('CANARY');
    }
  });

  it('keeps "__proto__" as plain data', () => {
    const parsed = parseJsonObject('{"__proto__": {"polluted": true}}');
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
