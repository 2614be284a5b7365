/**
 * The `awskms` stanza schema: Vault's field names, key id forms, paired credentials, the
 * region rule for ARNs, loopback-only plain http, and the reserved encryption-context keys.
 */

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createWebRuntime } from '../../../core/index.js';
import { awsKmsClientConfig, createAwsKmsSeal } from './seal.node.js';
import { awsKmsSealOptionsSchema, regionOfKeyArn } from './options.js';

const ok = (input: Record<string, unknown>) => awsKmsSealOptionsSchema.safeParse(input).success;

describe('awskms seal options', () => {
  it('accepts every key form KMS accepts for Encrypt and Decrypt', () => {
    for (const kms_key_id of [
      '1234abcd-12ab-34cd-56ef-1234567890ab',
      'mrk-1234abcd12ab34cd56ef1234567890ab',
      'alias/keygate-root',
      'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      'arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab',
      'arn:aws-us-gov:kms:us-gov-west-1:111122223333:alias/keygate-root',
    ]) {
      expect([kms_key_id, ok({ kms_key_id })]).toEqual([kms_key_id, true]);
    }
    for (const kms_key_id of ['', 'keygate', 'alias/', 'arn:aws:kms:eu-west-1:1111:key/x', 'alias/has space']) {
      expect([kms_key_id, ok({ kms_key_id })]).toEqual([kms_key_id, false]);
    }
  });

  it('refuses unknown fields, half a credential pair, and a session token alone', () => {
    expect(ok({ kms_key_id: 'alias/k', kms_key: 'x' })).toBe(false);
    expect(ok({ kms_key_id: 'alias/k', access_key: 'AKIAEXAMPLE' })).toBe(false);
    expect(ok({ kms_key_id: 'alias/k', secret_key: 'secret' })).toBe(false);
    expect(ok({ kms_key_id: 'alias/k', session_token: 'token' })).toBe(false);
    expect(ok({ kms_key_id: 'alias/k', access_key: 'AKIAEXAMPLE', secret_key: 'secret', session_token: 'token' })).toBe(true);
  });

  it('takes the region from a key ARN, and refuses a region that contradicts it', () => {
    const arn = 'arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    expect(regionOfKeyArn(arn)).toBe('eu-central-1');
    expect(regionOfKeyArn('alias/k')).toBeNull();
    expect(ok({ kms_key_id: arn, region: 'eu-west-1' })).toBe(false);
    expect(awsKmsClientConfig(awsKmsSealOptionsSchema.parse({ kms_key_id: arn })).region).toBe('eu-central-1');
    expect(awsKmsClientConfig(awsKmsSealOptionsSchema.parse({ kms_key_id: 'alias/k' })).region).toBeUndefined();
  });

  it('accepts https endpoints, and plain http only on loopback; the parsed value parses again to itself', () => {
    const parsed = awsKmsSealOptionsSchema.parse({ kms_key_id: 'alias/k', endpoint: 'http://127.0.0.1:4566/' });
    expect(parsed.endpoint).toBe('http://127.0.0.1:4566');
    expect(awsKmsSealOptionsSchema.parse(parsed)).toEqual(parsed);
    expect(ok({ kms_key_id: 'alias/k', endpoint: 'https://kms.eu-west-1.amazonaws.com' })).toBe(true);
    expect(ok({ kms_key_id: 'alias/k', endpoint: 'http://kms.example.com' })).toBe(false);
    expect(ok({ kms_key_id: 'alias/k', endpoint: 'https://user:pw@kms.example.com' })).toBe(false);
    expect(ok({ kms_key_id: 'alias/k', endpoint: 'https://kms.example.com/path' })).toBe(false);
  });

  it('keeps the keygate: and aws: encryption-context prefixes for Keygate and AWS', () => {
    expect(ok({ kms_key_id: 'alias/k', encryption_context: { environment: 'prod' } })).toBe(true);
    expect(ok({ kms_key_id: 'alias/k', encryption_context: { 'keygate:purpose': 'x' } })).toBe(false);
    expect(ok({ kms_key_id: 'alias/k', encryption_context: { 'Keygate:aad': 'x' } })).toBe(false);
    expect(ok({ kms_key_id: 'alias/k', encryption_context: { 'aws:x': 'x' } })).toBe(false);
    expect(ok({ kms_key_id: 'alias/k', encryption_context: { empty: '' } })).toBe(false);
  });

  it('marks the secret key and session token write-only, and sets low SDK retries and bounded timeouts', () => {
    const config = awsKmsClientConfig(awsKmsSealOptionsSchema.parse({ kms_key_id: 'alias/k', access_key: 'AKIAEXAMPLE', secret_key: 'secret' }));
    expect(config.maxAttempts).toBe(2);
    expect(config.requestHandler).toMatchObject({ connectionTimeout: 3_000, requestTimeout: 10_000 });
    expect(config.credentials).toEqual({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' });
    const properties = z.toJSONSchema(awsKmsSealOptionsSchema, { io: 'input', unrepresentable: 'any' }).properties ?? {};
    expect(properties.secret_key).toMatchObject({ writeOnly: true, sensitive: true });
    expect(properties.session_token).toMatchObject({ writeOnly: true, sensitive: true });
  });

  it('says so, without calling anyone, when no region is configured anywhere', async () => {
    const saved = { region: process.env.AWS_REGION, defaultRegion: process.env.AWS_DEFAULT_REGION, imds: process.env.AWS_EC2_METADATA_DISABLED };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    try {
      const seal = createAwsKmsSeal(awsKmsSealOptionsSchema.parse({ kms_key_id: 'alias/k', access_key: 'AKIAEXAMPLE', secret_key: 'secret' }), { runtime: createWebRuntime() });
      await expect(seal.wrap(new Uint8Array(32), new Uint8Array(1))).rejects.toMatchObject({
        code: 'ERR_SEAL_UNAVAILABLE',
        message: 'awskms seal: no AWS region is configured; set region, use a key ARN as kms_key_id, or set AWS_REGION',
      });
      await seal.close();
    } finally {
      for (const [name, value] of [['AWS_REGION', saved.region], ['AWS_DEFAULT_REGION', saved.defaultRegion], ['AWS_EC2_METADATA_DISABLED', saved.imds]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
