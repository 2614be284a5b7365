import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGatewayError } from '../core/index.js';
import { AWS_NAMING, AZURE_NAMING, GCP_NAMING, createNameMapper } from './naming.js';

const clouds = { aws: AWS_NAMING, azure: AZURE_NAMING, gcp: GCP_NAMING };

describe('name mapping', () => {
  it('keeps ordinary paths readable', () => {
    expect(createNameMapper(AWS_NAMING).toCloud('payments/db')).toBe('payments/db');
    expect(createNameMapper(GCP_NAMING).toCloud('payments/db')).toBe('payments_2Fdb');
    expect(createNameMapper(AZURE_NAMING).toCloud('payments/db')).toBe('payments-2Fdb');
    expect(createNameMapper(AZURE_NAMING).toCloud('Web/API-key')).toBe('-57eb-2F-41-50-49-2Dkey');
  });

  it.each(Object.entries(clouds))('is reversible and collision-free on %s for any path', (_, rules) => {
    const mapper = createNameMapper(rules, '');
    const valid = rules === AZURE_NAMING ? /^[0-9a-zA-Z-]+$/ : rules === GCP_NAMING ? /^[a-zA-Z0-9_-]+$/ : /^[A-Za-z0-9/_+=.@-]+$/;
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 30, unit: 'grapheme' }), fc.string({ minLength: 1, maxLength: 30, unit: 'grapheme' }), (a, b) => {
        let ca: string;
        try {
          ca = mapper.toCloud(a);
        } catch {
          return true; // too long for the cloud: refused, never truncated
        }
        expect(ca).toMatch(valid);
        expect(mapper.fromCloud(ca)).toBe(a);
        let cb: string;
        try {
          cb = mapper.toCloud(b);
        } catch {
          return true;
        }
        const same = rules.caseInsensitive ? ca.toLowerCase() === cb.toLowerCase() : ca === cb;
        expect(same).toBe(a === b);
        return true;
      }),
      { numRuns: 500 },
    );
  });

  it('refuses paths that cannot fit, with a validation error naming the path', () => {
    try {
      createNameMapper(AZURE_NAMING).toCloud('x'.repeat(200));
      expect.unreachable();
    } catch (err) {
      expect(isGatewayError(err, 'ERR_VALIDATION')).toBe(true);
    }
  });

  it('ignores cloud names it did not write, and applies the prefix', () => {
    const mapper = createNameMapper(GCP_NAMING, 'kg-');
    expect(mapper.toCloud('a/b')).toBe('kg-a_2Fb');
    expect(mapper.fromCloud('kg-a_2Fb')).toBe('a/b');
    expect(mapper.fromCloud('other')).toBeNull();
    expect(mapper.fromCloud('kg-a_2fb')).toBeNull();
    expect(mapper.fromCloud('kg-a_ZZ')).toBeNull();
    expect(mapper.cloudPrefix('team')).toBe('kg-team_2F');
  });
});
