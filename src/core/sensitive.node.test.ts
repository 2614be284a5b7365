import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { revealingStringify, sensitive } from './sensitive.js';

describe('Sensitive', () => {
  const secret = sensitive({ password: 'CANARY-sensitive-1' });

  it('redacts itself in JSON, strings, template literals and util.inspect', () => {
    expect(JSON.stringify({ s: secret })).toBe('{"s":"[redacted]"}');
    expect(String(secret)).toBe('[redacted]');
    expect(`${secret}`).toBe('[redacted]');
    expect(inspect({ nested: { secret } }, { depth: 5 })).not.toContain('CANARY');
  });

  it('is revealed only by the response writer, at any depth', () => {
    const body = { data: { a: sensitive('x'), list: [sensitive(1), 2], obj: secret } };
    expect(JSON.parse(revealingStringify(body))).toEqual({ data: { a: 'x', list: [1, 2], obj: { password: 'CANARY-sensitive-1' } } });
  });
});
