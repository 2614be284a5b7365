/**
 * IAM logins end to end against moto's STS, with moto checking SigV4 signatures against
 * the access keys its IAM issued (`/moto-api/reset-auth 0` after setup), so a tampered
 * signature is refused by STS itself, not only by Keygate's own checks.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../core/index.js';
import { createAwsHarness, loginBodyOf } from './test-harness.js';
import type { AwsHarness, RawSignedRequest } from './test-harness.js';
import { motoAvailability, requireAll, signRequest, startMoto, xmlField } from './test-moto.node.js';
import type { AwsCredentials, MotoServer } from './test-moto.node.js';

const availability = motoAvailability();
const skip = !availability.ok && !requireAll();
if (!availability.ok && skip) console.warn(`[skip] aws IAM login suite (moto): ${availability.reason}`);

const ACCOUNT = '123456789012';
const SERVER_ID = 'keygate.test.internal';
const GET_CALLER_IDENTITY = 'Action=GetCallerIdentity&Version=2011-06-15';

interface SignOptions {
  body?: string;
  url?: string;
  serverIdHeader?: string;
  serverIdValue?: string | null;
  /** Add the server-id header after signing, so it is not covered by the signature. */
  serverIdUnsigned?: boolean;
  extraHeaders?: Record<string, string>;
  region?: string;
  role?: string;
}

describe.skipIf(skip)('aws: IAM login against moto STS', () => {
  let moto: MotoServer;
  let alice: AwsCredentials;
  let mallory: AwsCredentials;
  let deployer: AwsCredentials;
  let aliceId = '';
  let deployRoleId = '';

  async function createUser(name: string, path: string): Promise<{ id: string; credentials: AwsCredentials }> {
    const user = await moto.action('iam', { Action: 'CreateUser', UserName: name, Path: path });
    const key = await moto.action('iam', { Action: 'CreateAccessKey', UserName: name });
    return {
      id: xmlField(user.body, 'UserId'),
      credentials: { accessKeyId: xmlField(key.body, 'AccessKeyId'), secretAccessKey: xmlField(key.body, 'SecretAccessKey') },
    };
  }

  beforeAll(async () => {
    if (!availability.ok) throw new Error(`${availability.reason} (required: KEYGATE_TEST_REQUIRE_ALL=1)`);
    moto = await startMoto();
    const a = await createUser('alice', '/team/');
    alice = a.credentials;
    aliceId = a.id;
    mallory = (await createUser('mallory', '/')).credentials;
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/team/alice` }, Action: 'sts:AssumeRole' }],
    });
    const role = await moto.action('iam', { Action: 'CreateRole', RoleName: 'deploy', Path: '/svc/', AssumeRolePolicyDocument: trust });
    deployRoleId = xmlField(role.body, 'RoleId');
    const assumed = await moto.action(
      'sts',
      { Action: 'AssumeRole', RoleArn: `arn:aws:iam::${ACCOUNT}:role/svc/deploy`, RoleSessionName: 'ci-run-7' },
      alice,
    );
    deployer = {
      accessKeyId: xmlField(assumed.body, 'AccessKeyId'),
      secretAccessKey: xmlField(assumed.body, 'SecretAccessKey'),
      sessionToken: xmlField(assumed.body, 'SessionToken'),
    };
    // From here on moto verifies every signature against the keys above.
    await moto.enforceSignatures();
  });

  afterAll(async () => {
    await moto?.stop();
  });

  /** A mount configured for moto, with roles for alice (by path glob), the deploy role and an account-bound role. */
  async function mount(config: JsonObject = {}): Promise<AwsHarness> {
    const h = createAwsHarness();
    await h.call('update', 'config/client', { data: { sts_endpoint: moto.endpoint, iam_server_id_header_value: SERVER_ID, ...config } });
    await h.call('update', 'role/alice', {
      data: { bound_iam_principal_arn: [`arn:aws:iam::${ACCOUNT}:user/team/*`], token_policies: ['team'], token_ttl: '1h' },
    });
    await h.call('update', 'role/deployer', { data: { bound_iam_principal_arn: [`arn:aws:iam::${ACCOUNT}:role/deploy`], token_policies: ['deploy'] } });
    await h.call('update', 'role/account', { data: { bound_account_id: [ACCOUNT] } });
    return h;
  }

  async function signed(credentials: AwsCredentials, opts: SignOptions = {}): Promise<RawSignedRequest> {
    const name = opts.serverIdHeader ?? 'x-keygate-aws-iam-server-id';
    const value = opts.serverIdValue === undefined ? SERVER_ID : opts.serverIdValue;
    const signedExtra: Record<string, string> = { ...(opts.extraHeaders ?? {}) };
    if (value !== null && opts.serverIdUnsigned !== true) signedExtra[name] = value;
    const headers: Record<string, string> = await signRequest({
      service: 'sts',
      host: moto.host,
      body: opts.body ?? GET_CALLER_IDENTITY,
      credentials,
      headers: signedExtra,
      region: opts.region,
    });
    if (value !== null && opts.serverIdUnsigned === true) headers[name] = value;
    const raw: RawSignedRequest = { url: opts.url ?? moto.endpoint, body: opts.body ?? GET_CALLER_IDENTITY, headers };
    if (opts.role !== undefined) raw.role = opts.role;
    return raw;
  }

  it('logs an IAM user in: identity from STS, alias the IAM unique id, metadata bounded to principal details', async () => {
    const h = await mount();
    const auth = await h.login(loginBodyOf(await signed(alice, { role: 'alice' })));
    expect(auth).toEqual({
      alias: { name: aliceId, metadata: { account_id: ACCOUNT, canonical_arn: `arn:aws:iam::${ACCOUNT}:user/alice` } },
      displayName: 'aws-alice',
      metadata: {
        role_name: 'alice',
        auth_type: 'iam',
        account_id: ACCOUNT,
        client_arn: `arn:aws:iam::${ACCOUNT}:user/team/alice`,
        canonical_arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
        client_user_id: aliceId,
      },
      policies: ['team'],
      ttlMs: 3_600_000,
      noDefaultPolicy: false,
    });
  });

  it('logs an assumed role in as the IAM role it stands for (session dropped, path not needed)', async () => {
    const h = await mount();
    const auth = await h.login(loginBodyOf(await signed(deployer, { role: 'deployer' })));
    expect(auth.metadata).toMatchObject({
      client_arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/ci-run-7`,
      canonical_arn: `arn:aws:iam::${ACCOUNT}:role/deploy`,
    });
    expect(auth.alias.name).toBe(deployRoleId);
    expect(auth.policies).toEqual(['deploy']);
  });

  it("accepts Vault's server-id header name and headers sent as a JSON object or Go's one-element lists", async () => {
    const h = await mount();
    const vault = await signed(alice, { role: 'alice', serverIdHeader: 'x-vault-aws-iam-server-id' });
    await h.login(loginBodyOf(vault));
    const lists: RawSignedRequest = { ...vault, headers: Object.fromEntries(Object.entries(vault.headers).map(([k, v]) => [k, [String(v)]])) };
    await h.login(loginBodyOf(lists, 'object'));
  });

  it('infers the role from the principal name when none is given', async () => {
    const h = await mount();
    expect((await h.login(loginBodyOf(await signed(alice)))).displayName).toBe('aws-alice');
    expect(await h.refusalReason(async () => h.login(loginBodyOf(await signed(mallory))))).toBe('role_unknown');
  });

  it('binds by account id', async () => {
    const h = await mount();
    expect((await h.login(loginBodyOf(await signed(mallory, { role: 'account' })))).metadata.account_id).toBe(ACCOUNT);
    await h.call('update', 'role/account', { data: { bound_account_id: ['210987654321'] } });
    expect(await h.refusalReason(async () => h.login(loginBodyOf(await signed(mallory, { role: 'account' }))))).toBe('account_not_bound');
  });

  describe('refuses, always with the same opaque 401', () => {
    const cases: [string, string, (h: AwsHarness) => Promise<unknown>][] = [
      [
        'a tampered signature (moto: SignatureDoesNotMatch)',
        'sts_rejected',
        async (h) => {
          const raw = await signed(alice, { role: 'alice' });
          const auth = String(raw.headers.authorization);
          raw.headers.authorization = auth.slice(0, -1) + (auth.endsWith('0') ? '1' : '0');
          return h.login(loginBodyOf(raw));
        },
      ],
      [
        'a key STS does not know (moto: InvalidClientTokenId)',
        'sts_rejected',
        async (h) => h.login(loginBodyOf(await signed({ accessKeyId: 'AKIAEXAMPLEEXAMPLE01', secretAccessKey: 'x'.repeat(40) }, { role: 'alice' }))),
      ],
      [
        'a server-id header left out of SignedHeaders',
        'server_id_unsigned',
        async (h) => h.login(loginBodyOf(await signed(alice, { role: 'alice', serverIdUnsigned: true }))),
      ],
      ['no server-id header', 'server_id_missing', async (h) => h.login(loginBodyOf(await signed(alice, { role: 'alice', serverIdValue: null })))],
      [
        'a wrong server-id value',
        'server_id_mismatch',
        async (h) => h.login(loginBodyOf(await signed(alice, { role: 'alice', serverIdValue: 'vault.other.example' }))),
      ],
      [
        'both server-id headers',
        'server_id_missing',
        async (h) => h.login(loginBodyOf(await signed(alice, { role: 'alice', extraHeaders: { 'x-vault-aws-iam-server-id': SERVER_ID } }))),
      ],
      ['an ARN the role does not bind', 'principal_not_bound', async (h) => h.login(loginBodyOf(await signed(mallory, { role: 'alice' })))],
      ['an assumed role for a user binding', 'principal_not_bound', async (h) => h.login(loginBodyOf(await signed(deployer, { role: 'alice' })))],
      ['an unknown role', 'role_unknown', async (h) => h.login(loginBodyOf(await signed(alice, { role: 'nobody' })))],
      [
        'a URL pointing elsewhere',
        'url_not_allowed',
        async (h) => h.login(loginBodyOf({ ...(await signed(alice, { role: 'alice' })), url: 'https://sts.attacker.example/' })),
      ],
      [
        'the right host with a path',
        'url_not_allowed',
        async (h) => h.login(loginBodyOf({ ...(await signed(alice, { role: 'alice' })), url: `${moto.endpoint}other` })),
      ],
      [
        'the right host with a query',
        'url_not_allowed',
        async (h) => h.login(loginBodyOf({ ...(await signed(alice, { role: 'alice' })), url: `${moto.endpoint}?Action=GetCallerIdentity` })),
      ],
      [
        'a body with another Action (signed)',
        'body_not_allowed',
        async (h) =>
          h.login(loginBodyOf(await signed(alice, { role: 'alice', body: 'Action=GetSessionToken&Version=2011-06-15' }))),
      ],
      [
        'a body with an extra parameter (signed)',
        'body_not_allowed',
        async (h) => h.login(loginBodyOf(await signed(alice, { role: 'alice', body: `${GET_CALLER_IDENTITY}&DurationSeconds=900` }))),
      ],
      [
        'oversize headers',
        'headers_oversize',
        async (h) =>
          h.login(loginBodyOf(await signed(alice, { role: 'alice', extraHeaders: { 'x-amz-security-token': 'A'.repeat(9000) } }))),
      ],
      [
        'a signed header that is not allowed',
        'header_not_allowed',
        async (h) => h.login(loginBodyOf(await signed(alice, { role: 'alice', extraHeaders: { 'x-forwarded-host': 'sts.amazonaws.com' } }))),
      ],
      ['a method other than POST', 'method_not_allowed', async (h) => h.login(loginBodyOf({ ...(await signed(alice, { role: 'alice' })), method: 'GET' }))],
      [
        'a request signed for another service',
        'credential_scope',
        async (h) => {
          const raw = await signed(alice, { role: 'alice' });
          raw.headers.authorization = String(raw.headers.authorization).replace('/sts/', '/iam/');
          return h.login(loginBodyOf(raw));
        },
      ],
      [
        'a request signed too long ago',
        'request_date',
        async (h) => {
          h.runtime.advance(16 * 60_000);
          return h.login(loginBodyOf(await signed(alice, { role: 'alice' })));
        },
      ],
      [
        'a Host header for another endpoint',
        'host_mismatch',
        async (h) => {
          const raw = await signed(alice, { role: 'alice' });
          raw.headers.host = 'sts.amazonaws.com';
          return h.login(loginBodyOf(raw));
        },
      ],
      ['headers that are not base64 JSON', 'headers_malformed', async (h) => h.login({ ...loginBodyOf(await signed(alice, { role: 'alice' })), iam_request_headers: '%%%' })],
    ];

    for (const [what, reason, attempt] of cases) {
      it(what, async () => {
        const h = await mount();
        expect(await h.refusalReason(() => attempt(h))).toBe(reason);
      });
    }

    it('when the mount has no server-id value configured', async () => {
      const h = await mount({ iam_server_id_header_value: '' });
      expect(await h.refusalReason(async () => h.login(loginBodyOf(await signed(alice, { role: 'alice' }))))).toBe('not_configured');
    });

    it('when the signed region is not the configured sts_region', async () => {
      const h = await mount({ sts_region: 'eu-west-1' });
      expect(await h.refusalReason(async () => h.login(loginBodyOf(await signed(alice, { role: 'alice' }))))).toBe('credential_scope');
      await h.login(loginBodyOf(await signed(alice, { role: 'alice', region: 'eu-west-1' })));
    });

    it('unless the operator allowed the extra header, which is then forwarded', async () => {
      const h = await mount({ allowed_sts_header_values: ['x-request-id'] });
      await h.login(loginBodyOf(await signed(alice, { role: 'alice', extraHeaders: { 'x-request-id': 'abc-123' } })));
    });

    it('and the error is the same whatever the reason, naming nothing', async () => {
      const h = await mount();
      const errors = await Promise.all([
        h.failure(h.login(loginBodyOf(await signed(mallory, { role: 'alice' })))),
        h.failure(h.login(loginBodyOf(await signed(alice, { role: 'alice', serverIdValue: 'nope' })))),
        h.failure(h.login(loginBodyOf({ ...(await signed(alice, { role: 'alice' })), url: 'https://example.com/' }))),
      ]);
      const shapes = errors.map((e) => JSON.stringify({ code: e.code, status: e.status, message: e.message, details: e.details, headers: e.headers }));
      expect(new Set(shapes).size).toBe(1);
      const log = h.runtime.logged.join('\n');
      expect(log).not.toContain(alice.secretAccessKey);
      expect(log).not.toContain(alice.accessKeyId);
      expect(log).not.toContain('Signature=');
      expect(log).not.toContain(SERVER_ID);
    });
  });

  it('answers a malformed login body with 400, before any check', async () => {
    const h = await mount();
    const good = loginBodyOf(await signed(alice, { role: 'alice' }));
    for (const data of [{}, { ...good, iam_request_url: 5 }, { ...good, extra: 'x' }, { ...good, role: '-bad role' }]) {
      expect((await h.failure(h.call('update', 'login', { data: JSON.parse(JSON.stringify(data)) }))).code).toBe('ERR_VALIDATION');
    }
  });
});
