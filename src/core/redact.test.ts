import { describe, expect, it } from 'vitest';
import { redactCredentials } from './redact.js';

describe('redactCredentials', () => {
  it('hides credential-looking members at any depth and keeps the rest', () => {
    expect(
      redactCredentials({
        region: 'eu-west-1',
        credentials: { access_key_id: 'AKIA…', secret_access_key: 'x' },
        assume_role: { role_arn: 'arn', external_id: 'e' },
        credential: { type: 'client_secret', client_secret: 'y' },
        token_reviewer_jwt: 'z',
        options: [{ token: 't', url: 'u' }],
      }),
    ).toEqual({
      region: 'eu-west-1',
      credentials: '[redacted]',
      assume_role: { role_arn: 'arn', external_id: 'e' },
      credential: '[redacted]',
      token_reviewer_jwt: '[redacted]',
      options: [{ token: '[redacted]', url: 'u' }],
    });
  });
});
