import { describe, expect, it } from 'vitest';
import { boundArnMatches, isBoundArnPattern, parsePrincipalArn } from './arn.js';

describe('aws: principal ARNs', () => {
  it('parses an IAM user, keeping its path for the full ARN and dropping it from the canonical one', () => {
    expect(parsePrincipalArn('arn:aws:iam::123456789012:user/team/ops/alice')).toEqual({
      partition: 'aws',
      account: '123456789012',
      type: 'user',
      name: 'alice',
      path: 'team/ops',
      canonicalArn: 'arn:aws:iam::123456789012:user/alice',
      fullArn: 'arn:aws:iam::123456789012:user/team/ops/alice',
    });
    expect(parsePrincipalArn('arn:aws-us-gov:iam::123456789012:user/bob')?.canonicalArn).toBe('arn:aws-us-gov:iam::123456789012:user/bob');
  });

  it('turns an assumed-role session into the IAM role it stands for', () => {
    expect(parsePrincipalArn('arn:aws:sts::123456789012:assumed-role/deploy/ci-run-42')).toEqual({
      partition: 'aws',
      account: '123456789012',
      type: 'assumed-role',
      name: 'deploy',
      path: '',
      canonicalArn: 'arn:aws:iam::123456789012:role/deploy',
      fullArn: 'arn:aws:iam::123456789012:role/deploy',
    });
  });

  it('refuses roots, federated users, wrong services, regions, accounts and malformed names', () => {
    for (const arn of [
      'arn:aws:iam::123456789012:root',
      'arn:aws:sts::123456789012:federated-user/bob',
      'arn:aws:sts::123456789012:user/moto',
      'arn:aws:iam::123456789012:assumed-role/deploy/s1',
      'arn:aws:sts::123456789012:assumed-role/deploy',
      'arn:aws:sts::123456789012:assumed-role/deploy/s1/extra',
      'arn:aws:iam:us-east-1:123456789012:user/alice',
      'arn:aws:iam::12345678901:user/alice',
      'arn:aws:iam::123456789012:user/ali ce',
      'arn:aws:iam::123456789012:user/team//alice',
      'arn:evil:iam::123456789012:user/alice',
      'arn:aws:iam::123456789012:user/alice:extra',
      `arn:aws:iam::123456789012:user/${'a'.repeat(3000)}`,
    ]) {
      expect(parsePrincipalArn(arn)).toBeNull();
    }
  });

  it('matches exact bindings against the canonical ARN and trailing-* bindings against the full ARN', () => {
    const user = parsePrincipalArn('arn:aws:iam::123456789012:user/team/alice');
    const role = parsePrincipalArn('arn:aws:sts::123456789012:assumed-role/deploy-prod/s1');
    if (user === null || role === null) throw new Error('unparsed');
    expect(boundArnMatches('arn:aws:iam::123456789012:user/alice', user)).toBe(true);
    expect(boundArnMatches('arn:aws:iam::123456789012:user/team/alice', user)).toBe(false);
    expect(boundArnMatches('arn:aws:iam::123456789012:user/team/*', user)).toBe(true);
    expect(boundArnMatches('arn:aws:iam::123456789012:user/al*', user)).toBe(false);
    expect(boundArnMatches('arn:aws:iam::123456789012:*', user)).toBe(true);
    expect(boundArnMatches('arn:aws:iam::210987654321:*', user)).toBe(false);
    expect(boundArnMatches('arn:aws:iam::123456789012:role/deploy-prod', role)).toBe(true);
    expect(boundArnMatches('arn:aws:iam::123456789012:role/deploy-*', role)).toBe(true);
    expect(boundArnMatches('arn:aws:iam::123456789012:role/team/*', role)).toBe(false);
    expect(boundArnMatches('arn:aws:sts::123456789012:assumed-role/deploy-prod/s1', role)).toBe(false);
  });

  it('accepts bindings with at most one *, at the end', () => {
    expect(isBoundArnPattern('arn:aws:iam::123456789012:role/x')).toBe(true);
    expect(isBoundArnPattern('arn:aws:iam::123456789012:*')).toBe(true);
    expect(isBoundArnPattern('arn:aws:iam::*:role/x')).toBe(false);
    expect(isBoundArnPattern('*')).toBe(false);
    expect(isBoundArnPattern('arn:aws:iam::123456789012:role/**')).toBe(false);
    expect(isBoundArnPattern('arn:aws:iam::123456789012:role/with space')).toBe(false);
  });
});
