/** The `aws-secrets-manager` mount options: defaults, strictness, bounds, and stable re-parsing. */

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { awsSecretsManagerOptionsSchema, canonicalEndpoint } from './options.js';

const parse = (input: unknown) => awsSecretsManagerOptionsSchema.safeParse(input);
const ROLE = 'arn:aws:iam::123456789012:role/keygate';

describe('aws mount options', () => {
  it('needs nothing: region, endpoint and credentials then come from the SDK environment', () => {
    expect(awsSecretsManagerOptionsSchema.parse({})).toEqual({ recovery_window_days: 30 });
  });

  it('takes every documented option and fills the assume_role defaults', () => {
    const parsed = awsSecretsManagerOptionsSchema.parse({
      region: 'eu-west-1',
      endpoint: 'https://vpce-0abc.secretsmanager.eu-west-1.vpce.amazonaws.com/',
      credentials: { access_key_id: 'AKIAEXAMPLE', secret_access_key: 'secret', session_token: 'token' },
      assume_role: { role_arn: ROLE, external_id: 'ext-123', duration: '2h' },
      kms_key_id: 'alias/keygate',
      recovery_window_days: 7,
    });
    expect(parsed).toMatchObject({
      endpoint: 'https://vpce-0abc.secretsmanager.eu-west-1.vpce.amazonaws.com',
      assume_role: { role_arn: ROLE, external_id: 'ext-123', session_name: 'keygate', duration: 7200 },
    });
  });

  it('re-parses its own output to the same value (persisted mount options are validated again at start)', () => {
    const once = awsSecretsManagerOptionsSchema.parse({ endpoint: 'http://127.0.0.1:5000/', assume_role: { role_arn: ROLE, duration: 900 } });
    expect(awsSecretsManagerOptionsSchema.parse(once)).toEqual(once);
  });

  it.each([
    ['an unknown key', { regoin: 'us-east-1' }],
    ['a malformed region', { region: 'US East' }],
    ['a plain-http endpoint on another host', { endpoint: 'http://secretsmanager.example.com' }],
    ['an endpoint with a path', { endpoint: 'https://example.com/v1' }],
    ['an endpoint with credentials', { endpoint: 'https://user:pw@example.com' }],
    ['credentials without a secret', { credentials: { access_key_id: 'AKIAEXAMPLE' } }],
    ['an unknown credentials key', { credentials: { access_key_id: 'AKIAEXAMPLE', secret_access_key: 's', profile: 'x' } }],
    ['a role that is not a role ARN', { assume_role: { role_arn: 'arn:aws:iam::123456789012:user/alice' } }],
    ['a session shorter than 15 minutes', { assume_role: { role_arn: ROLE, duration: '10m' } }],
    ['a session longer than 12 hours', { assume_role: { role_arn: ROLE, duration: 43_201 } }],
    ['a bad session name', { assume_role: { role_arn: ROLE, session_name: 'has space' } }],
    ['name_prefix (a common provider option, not an AWS one)', { name_prefix: 'keygate/' }],
    ['a recovery window under 7 days', { recovery_window_days: 6 }],
    ['a recovery window over 30 days', { recovery_window_days: 31 }],
    ['a fractional recovery window', { recovery_window_days: 7.5 }],
  ])('refuses %s', (_label, input) => {
    expect(parse(input).success).toBe(false);
  });

  it('accepts http only for loopback emulators', () => {
    expect(canonicalEndpoint('http://127.0.0.1:4566/')).toBe('http://127.0.0.1:4566');
    expect(canonicalEndpoint('http://localhost:4566')).toBe('http://localhost:4566');
    expect(canonicalEndpoint('http://[::1]:4566')).toBe('http://[::1]:4566');
    expect(canonicalEndpoint('http://10.0.0.5:4566')).toBeNull();
    expect(canonicalEndpoint('ftp://127.0.0.1')).toBeNull();
    expect(canonicalEndpoint('not a url')).toBeNull();
  });

  it('marks the credentials write-only and sensitive in the generated schema', () => {
    const schema = z.toJSONSchema(awsSecretsManagerOptionsSchema, { io: 'input', unrepresentable: 'any' });
    const credentials = (schema.properties ?? {}).credentials;
    expect(credentials).toMatchObject({ writeOnly: true, sensitive: true });
  });
});
