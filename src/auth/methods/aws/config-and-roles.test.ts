import { describe, expect, it } from 'vitest';
import { describeEngine } from '../../../native-engines/framework/index.js';
import { awsMethod } from './index.js';
import { createAwsHarness } from './test-harness.js';

describe('aws: config/client', () => {
  it('is 404 until written, then reads back with Vault defaults filled in', async () => {
    const h = createAwsHarness();
    expect((await h.failure(h.call('read', 'config/client'))).code).toBe('ERR_NOT_FOUND');
    await h.call('update', 'config/client', { data: { iam_server_id_header_value: 'keygate.example.com' } });
    expect((await h.call('read', 'config/client')).data).toEqual({
      sts_endpoint: 'https://sts.amazonaws.com/',
      sts_region: '',
      iam_server_id_header_value: 'keygate.example.com',
      allowed_sts_header_values: [],
    });
  });

  it('updates only the fields given and canonicalises the endpoint and header names', async () => {
    const h = createAwsHarness();
    await h.call('update', 'config/client', { data: { iam_server_id_header_value: 'kg' } });
    await h.call('update', 'config/client', {
      data: { sts_endpoint: 'https://sts.us-east-2.amazonaws.com', sts_region: 'us-east-2', allowed_sts_header_values: 'X-Request-Id, x-trace' },
    });
    expect((await h.call('read', 'config/client')).data).toEqual({
      sts_endpoint: 'https://sts.us-east-2.amazonaws.com/',
      sts_region: 'us-east-2',
      iam_server_id_header_value: 'kg',
      allowed_sts_header_values: ['x-request-id', 'x-trace'],
    });
    await h.call('delete', 'config/client');
    expect((await h.failure(h.call('read', 'config/client'))).code).toBe('ERR_NOT_FOUND');
  });

  it('refuses endpoints that are not plain https origins (http only on loopback), and reserved headers', async () => {
    const h = createAwsHarness();
    for (const sts_endpoint of [
      'http://sts.amazonaws.com/',
      'https://sts.amazonaws.com/path',
      'https://sts.amazonaws.com/?x=1',
      'https://user:pw@sts.amazonaws.com/',
      'ftp://sts.amazonaws.com/',
      'not a url',
    ]) {
      const err = await h.failure(h.call('update', 'config/client', { data: { sts_endpoint } }));
      expect(err.details?.[0]?.field).toBe('sts_endpoint');
    }
    await h.call('update', 'config/client', { data: { sts_endpoint: 'http://127.0.0.1:4566' } });
    expect((await h.call('read', 'config/client')).data?.sts_endpoint).toBe('http://127.0.0.1:4566/');
    for (const header of ['host', 'Content-Length', 'x-vault-aws-iam-server-id', 'bad header']) {
      const err = await h.failure(h.call('update', 'config/client', { data: { allowed_sts_header_values: [header] } }));
      expect(err.details?.[0]?.field).toBe('allowed_sts_header_values.0');
    }
    const unknown = await h.failure(h.call('update', 'config/client', { data: { access_key: 'AKIA', sts_region: 'Mars' } }));
    expect(unknown.details?.map((d) => d.field).sort()).toEqual(['access_key', 'sts_region']);
  });
});

describe('aws: roles', () => {
  it('creates, reads (durations in seconds), updates in part, lists and deletes roles', async () => {
    const h = createAwsHarness();
    await h.call('update', 'role/Deploy', {
      data: { bound_iam_principal_arn: 'arn:aws:iam::123456789012:role/deploy', token_policies: ['ci'], token_ttl: '30m' },
    });
    expect((await h.call('read', 'role/deploy')).data).toEqual({
      auth_type: 'iam',
      bound_iam_principal_arn: ['arn:aws:iam::123456789012:role/deploy'],
      bound_account_id: [],
      resolve_aws_unique_ids: false,
      token_policies: ['ci'],
      token_ttl: 1800,
      token_max_ttl: 0,
      token_period: 0,
      token_num_uses: 0,
      token_bound_cidrs: [],
      token_no_default_policy: false,
    });
    await h.call('update', 'role/deploy', { data: { bound_account_id: ['123456789012'] } });
    expect((await h.call('read', 'role/deploy')).data).toMatchObject({
      bound_iam_principal_arn: ['arn:aws:iam::123456789012:role/deploy'],
      bound_account_id: ['123456789012'],
      token_ttl: 1800,
    });
    await h.call('update', 'role/other', { data: { bound_account_id: '123456789012' } });
    expect((await h.call('list', 'role')).data).toEqual({ keys: ['deploy', 'other'] });
    await h.call('delete', 'role/deploy');
    expect((await h.failure(h.call('read', 'role/deploy'))).code).toBe('ERR_NOT_FOUND');
  });

  it('refuses unbound roles, ec2 roles, unique-id resolution, bad ARNs and bad account ids', async () => {
    const h = createAwsHarness();
    const field = async (data: Record<string, unknown>) =>
      (await h.failure(h.call('update', 'role/r', { data: JSON.parse(JSON.stringify(data)) }))).details?.map((d) => d.field);
    expect(await field({})).toEqual(['bound_iam_principal_arn']);
    expect(await field({ auth_type: 'ec2', bound_account_id: ['123456789012'] })).toEqual(['auth_type']);
    expect(await field({ resolve_aws_unique_ids: true, bound_account_id: ['123456789012'] })).toEqual(['resolve_aws_unique_ids']);
    expect(await field({ bound_iam_principal_arn: ['arn:aws:iam::*:role/x'] })).toEqual(['bound_iam_principal_arn.0']);
    expect(await field({ bound_account_id: ['1234'] })).toEqual(['bound_account_id.0']);
    expect(await field({ bound_account_id: ['123456789012'], bound_ec2_instance_id: ['i-1'] })).toEqual(['bound_ec2_instance_id']);
  });

  it('declares its paths for OpenAPI and marks the signed headers sensitive', () => {
    expect(awsMethod.type).toBe('aws');
    const described = describeEngine(awsMethod);
    expect(described.map((d) => `${d.operation} ${d.pattern}`)).toEqual([
      'update login',
      'read config/client',
      'update config/client',
      'delete config/client',
      'list role',
      'read role/{name}',
      'create role/{name}',
      'update role/{name}',
      'delete role/{name}',
    ]);
    expect(described[0]?.sensitive).toEqual(['iam_request_headers']);
  });
});
