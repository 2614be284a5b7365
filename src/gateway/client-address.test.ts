import { describe, expect, it } from 'vitest';
import { createClientAddressResolver } from './client-address.js';

describe('client address', () => {
  it('ignores X-Forwarded-For from untrusted peers', () => {
    const resolve = createClientAddressResolver([]);
    expect(resolve('203.0.113.9', '10.0.0.1')).toBe('203.0.113.9');
    expect(createClientAddressResolver(['10.0.0.0/8'])('203.0.113.9', '1.2.3.4')).toBe('203.0.113.9');
  });

  it('walks X-Forwarded-For from the right past trusted proxies', () => {
    const resolve = createClientAddressResolver(['10.0.0.0/8', '192.168.0.0/16']);
    expect(resolve('10.0.0.5', '198.51.100.7')).toBe('198.51.100.7');
    expect(resolve('10.0.0.5', 'spoofed-by-client, 198.51.100.7, 192.168.1.1')).toBe('198.51.100.7');
    expect(resolve('::ffff:10.0.0.5', '198.51.100.7')).toBe('198.51.100.7');
    expect(resolve('10.0.0.5', '10.1.1.1, 10.2.2.2')).toBe('10.1.1.1');
    expect(resolve('10.0.0.5', 'not-an-ip')).toBe('10.0.0.5');
    expect(resolve('10.0.0.5', null)).toBe('10.0.0.5');
  });
});
