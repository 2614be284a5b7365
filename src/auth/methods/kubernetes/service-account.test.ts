import { describe, expect, it } from 'vitest';
import { boundBy, serviceAccountFromClaims, serviceAccountFromUsername } from './service-account.js';

describe('service accounts', () => {
  it('parses TokenReview usernames, refusing other users and bad names', () => {
    expect(serviceAccountFromUsername('system:serviceaccount:default:app', 'u-1')).toEqual({ namespace: 'default', name: 'app', uid: 'u-1' });
    expect(serviceAccountFromUsername('system:serviceaccount:Default:app', 'u')).toBeNull();
    expect(serviceAccountFromUsername('system:node:worker', 'u')).toBeNull();
    expect(serviceAccountFromUsername('system:serviceaccount:a:b:c', 'u')).toBeNull();
    expect(serviceAccountFromUsername('system:serviceaccount:default:app', 'bad uid!')).toBeNull();
  });

  it('reads projected and legacy claims, and insists sub agrees', () => {
    const projected = { sub: 'system:serviceaccount:ns:sa', 'kubernetes.io': { namespace: 'ns', serviceaccount: { name: 'sa', uid: 'u' } } };
    expect(serviceAccountFromClaims(projected)).toEqual({ namespace: 'ns', name: 'sa', uid: 'u' });
    expect(serviceAccountFromClaims({ ...projected, sub: 'system:serviceaccount:ns:other' })).toBeNull();
    const legacy = {
      'kubernetes.io/serviceaccount/namespace': 'ns',
      'kubernetes.io/serviceaccount/service-account.name': 'sa',
      'kubernetes.io/serviceaccount/service-account.uid': 'u',
    };
    expect(serviceAccountFromClaims(legacy)).toEqual({ namespace: 'ns', name: 'sa', uid: 'u' });
    expect(serviceAccountFromClaims({ sub: 'x' })).toBeNull();
  });

  it('binds with * and globs', () => {
    expect(boundBy(['*'], 'anything')).toBe(true);
    expect(boundBy(['team-*'], 'team-a')).toBe(true);
    expect(boundBy(['team-*', 'default'], 'kube-system')).toBe(false);
  });
});
