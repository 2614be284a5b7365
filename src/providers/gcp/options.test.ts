import { describe, expect, it } from 'vitest';
import { GCP_NAMING } from '../naming.js';
import { gcpSecretManagerOptionsSchema } from './options.js';

const KEY = { type: 'service_account', client_email: 'kg@p.iam.gserviceaccount.com', private_key: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n' };
const parse = (input: unknown) => gcpSecretManagerOptionsSchema.safeParse(input);

describe('GCP mount options', () => {
  it('needs only a project, and defaults to ADC, Google’s endpoint and automatic replication', () => {
    const r = parse({ project: 'payments-prod' });
    expect(r.success && r.data).toEqual({ project: 'payments-prod', insecure: false, replication: 'automatic' });
  });

  it('validates project ids (including legacy domain-scoped ones)', () => {
    expect(parse({ project: 'example.com:payments-prod' }).success).toBe(true);
    for (const bad of ['', 'ab', 'Payments', 'payments-', '1payments', 'x'.repeat(31), 'projects/x']) expect(parse({ project: bad }).success).toBe(false);
  });

  it('takes a service account key (the key file as an object), strictly', () => {
    expect(parse({ project: 'payments-prod', credentials: { ...KEY, project_id: 'p', private_key_id: 'k', client_id: '1', token_uri: 'https://oauth2.googleapis.com/token' } }).success).toBe(true);
    expect(parse({ project: 'payments-prod', credentials: { ...KEY, private_key: 'not a pem' } }).success).toBe(false);
    expect(parse({ project: 'payments-prod', credentials: { ...KEY, surprise: 1 } }).success).toBe(false);
    expect(parse({ project: 'payments-prod', credentials: { ...KEY, type: 'authorized_user' } }).success).toBe(false);
  });

  it('marks the key write-only and sensitive in the schema metadata', () => {
    const credentials = gcpSecretManagerOptionsSchema.shape.credentials.unwrap();
    expect(credentials.meta()).toMatchObject({ sensitive: true, writeOnly: true });
    expect(credentials.shape.private_key.meta()).toMatchObject({ sensitive: true, writeOnly: true });
  });

  it('allows `insecure` only with a loopback endpoint', () => {
    expect(parse({ project: 'payments-prod', api_endpoint: '127.0.0.1', port: 8085, insecure: true }).success).toBe(true);
    expect(parse({ project: 'payments-prod', api_endpoint: 'localhost', insecure: true }).success).toBe(true);
    expect(parse({ project: 'payments-prod', api_endpoint: '[::1]', insecure: true }).success).toBe(true);
    expect(parse({ project: 'payments-prod', api_endpoint: 'secretmanager.googleapis.com', insecure: true }).success).toBe(false);
    expect(parse({ project: 'payments-prod', api_endpoint: '10.0.0.5', insecure: true }).success).toBe(false);
    expect(parse({ project: 'payments-prod', insecure: true }).success).toBe(false);
    expect(parse({ project: 'payments-prod', api_endpoint: 'private.googleapis.com', port: 443 }).success).toBe(true);
    expect(parse({ project: 'payments-prod', api_endpoint: 'https://secretmanager.googleapis.com' }).success).toBe(false);
    expect(parse({ project: 'payments-prod', port: 0 }).success).toBe(false);
  });

  it('leaves name_prefix to the common provider options, which check it against GCP_NAMING.valid', () => {
    expect(parse({ project: 'payments-prod', name_prefix: 'kg-' }).success).toBe(false);
    expect(GCP_NAMING.valid.test('kg_prod-')).toBe(true);
    for (const bad of ['kg/prod', 'kg.prod', 'kg prod', 'ü']) expect(GCP_NAMING.valid.test(bad)).toBe(false);
  });

  it('takes automatic or user-managed replication with distinct locations', () => {
    expect(parse({ project: 'payments-prod', replication: { user_managed: ['europe-west1', 'europe-west4'] } }).success).toBe(true);
    expect(parse({ project: 'payments-prod', replication: { user_managed: [] } }).success).toBe(false);
    expect(parse({ project: 'payments-prod', replication: { user_managed: ['europe-west1', 'europe-west1'] } }).success).toBe(false);
    expect(parse({ project: 'payments-prod', replication: { user_managed: ['Europe'] } }).success).toBe(false);
    expect(parse({ project: 'payments-prod', replication: 'manual' }).success).toBe(false);
  });

  it('refuses unknown keys, and re-parses its own output unchanged (the mount table stores it)', () => {
    expect(parse({ project: 'payments-prod', region: 'x' }).success).toBe(false);
    const first = gcpSecretManagerOptionsSchema.parse({ project: 'payments-prod', credentials: KEY, replication: { user_managed: ['us-east1'] } });
    expect(gcpSecretManagerOptionsSchema.parse(first)).toEqual(first);
  });
});
