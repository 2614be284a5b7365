import { describe, expect, it } from 'vitest';
import { isGatewayError } from '../core/index.js';
import { canonicalName, createLoginLimiter } from './login-limiter.js';

describe('login limiter', () => {
  const setup = () => {
    let now = 0;
    const limiter = createLoginLimiter({ runtime: { now: () => now }, perIdentity: { max: 3, windowMs: 60_000 }, perAddress: { max: 5, windowMs: 60_000 } });
    return { limiter, advance: (ms: number) => (now += ms) };
  };
  const limited = (fn: () => void) => {
    try {
      fn();
      return false;
    } catch (err) {
      return isGatewayError(err, 'ERR_RATE_LIMITED') && err.headers?.['retry-after'] !== undefined;
    }
  };

  it('limits failures per identity, whatever its spelling', () => {
    const { limiter, advance } = setup();
    for (const spelling of ['CI', ' ci ', 'ｃｉ']) limiter.failure({ mount: 'approle/', identity: spelling, address: `10.0.0.${spelling.length}` });
    expect(limited(() => limiter.check({ mount: 'approle/', identity: 'ci', address: '10.9.9.9' }))).toBe(true);
    expect(limited(() => limiter.check({ mount: 'approle/', identity: 'other', address: '10.9.9.9' }))).toBe(false);
    expect(limited(() => limiter.check({ mount: 'jwt/', identity: 'ci', address: '10.9.9.9' }))).toBe(false);
    advance(61_000);
    expect(limited(() => limiter.check({ mount: 'approle/', identity: 'ci', address: '10.9.9.9' }))).toBe(false);
  });

  it('limits failures per address across identities, and a success clears only the identity', () => {
    const { limiter } = setup();
    for (let i = 0; i < 5; i++) limiter.failure({ mount: 'm/', identity: `user${i}`, address: '192.0.2.1' });
    expect(limited(() => limiter.check({ mount: 'm/', identity: 'fresh', address: '192.0.2.1' }))).toBe(true);
    limiter.failure({ mount: 'm/', identity: 'x', address: '192.0.2.2' });
    limiter.failure({ mount: 'm/', identity: 'x', address: '192.0.2.3' });
    limiter.failure({ mount: 'm/', identity: 'x', address: '192.0.2.4' });
    expect(limited(() => limiter.check({ mount: 'm/', identity: 'x', address: '192.0.2.5' }))).toBe(true);
    limiter.success({ mount: 'm/', identity: 'x', address: '192.0.2.5' });
    expect(limited(() => limiter.check({ mount: 'm/', identity: 'x', address: '192.0.2.5' }))).toBe(false);
  });

  it('canonicalises names', () => {
    expect(canonicalName('  Dev   Team ')).toBe('dev team');
    expect(canonicalName('ＡＤＭＩＮ')).toBe('admin');
  });
});
