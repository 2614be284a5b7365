import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnauthenticatedError, revealingStringify } from '../../../core/index.js';
import type { GatewayError, JsonObject } from '../../../core/index.js';
import { createTestRuntime } from '../../../native-engines/test-support.js';
import { makeSigner, startJwksServer } from '../jwt/test-harness.node.js';
import type { JwksServer, Signer } from '../jwt/test-harness.node.js';
import { createTlsFetch } from '../tls-fetch.node.js';
import { OPENSSL_MISSING, hasOpenssl, makeTestPki, startTestServer } from '../test-servers.node.js';
import { createKubernetesHarness, serviceAccountToken, startTokenReviewServer } from './test-harness.node.js';
import type { AccountClaims, KubernetesHarness, TokenReviewServer } from './test-harness.node.js';

const REVIEWER = 'eyJhbGciOiJSUzI1NiJ9.cmV2aWV3ZXItY2FuYXJ5LTlkOGU3.c2ln';
const K8S_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const APP: AccountClaims = { namespace: 'default', name: 'app', uid: '0b6f7a5e-1111-4c3a-9d2e-7a1f0c9e4b21' };

let signer: Signer;
let review: TokenReviewServer;
let jwks: JwksServer;
const servers: { close(): Promise<void> }[] = [];
const presented: string[] = [];

beforeAll(async () => {
  signer = await makeSigner('RS256', 'sa-key');
  review = await startTokenReviewServer(REVIEWER);
  jwks = await startJwksServer([signer.publicJwk]);
  servers.push(review, jwks);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** A signed token for `account`, registered with `server` as authenticated (unless told otherwise). */
async function saToken(h: KubernetesHarness, account: AccountClaims, server: TokenReviewServer | null = review, verdict: 'valid' | 'invalid' = 'valid'): Promise<string> {
  const jwt = await serviceAccountToken(signer, account, h.nowSeconds());
  presented.push(jwt);
  server?.verdicts.set(jwt, {
    authenticated: verdict === 'valid',
    username: `system:serviceaccount:${account.namespace}:${account.name}`,
    uid: account.uid,
    audiences: Array.isArray(account.aud) ? account.aud : account.aud === undefined ? [K8S_ISSUER] : [account.aud],
  });
  return jwt;
}

async function mounted(config: JsonObject = {}, role: JsonObject = {}, options: JsonObject = { request_timeout: '2s' }): Promise<KubernetesHarness> {
  const h = createKubernetesHarness(options);
  await h.call('update', 'config', { kubernetes_host: review.url, token_reviewer_jwt: REVIEWER, ...config });
  await h.call('update', 'role/app', {
    bound_service_account_names: ['app'],
    bound_service_account_namespaces: ['default'],
    token_policies: ['app-read'],
    ...role,
  });
  return h;
}

async function refused(h: KubernetesHarness, jwt: string, reason: string, role = 'app'): Promise<GatewayError> {
  presented.push(jwt);
  const before = h.reasons().length;
  const err = await h.failure(h.login(role, jwt));
  expect(err).toBeInstanceOf(UnauthenticatedError);
  expect(err.message).toBe('missing or invalid client token');
  expect(err.details).toBeUndefined();
  expect(h.reasons().slice(before)).toEqual([reason]);
  return err;
}

describe('kubernetes login through TokenReview', () => {
  it('logs in a bound service account, reviewing with the reviewer JWT', async () => {
    const h = await mounted();
    const jwt = await saToken(h, APP);
    const before = review.reviews().length;
    const res = await h.login('app', jwt);
    expect(res.auth).toEqual({
      alias: { name: APP.uid, metadata: { service_account_name: 'app', service_account_namespace: 'default', service_account_uid: APP.uid } },
      displayName: `kubernetes-${APP.uid}`,
      metadata: { service_account_name: 'app', service_account_namespace: 'default', service_account_uid: APP.uid, role: 'app' },
      policies: ['app-read'],
      noDefaultPolicy: false,
    });
    const sent = review.reviews().slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.headers.authorization).toBe(`Bearer ${REVIEWER}`);
    expect(JSON.parse(sent[0]?.body ?? '{}')).toEqual({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: jwt } });
  });

  it('uses the client\'s own JWT as bearer when no reviewer JWT is configured', async () => {
    const selfReview = await startTokenReviewServer('self');
    servers.push(selfReview);
    const h = createKubernetesHarness();
    await h.call('update', 'config', { kubernetes_host: selfReview.url });
    await h.call('update', 'role/app', { bound_service_account_names: 'app', bound_service_account_namespaces: 'default' });
    expect((await h.login('app', await saToken(h, APP, selfReview))).auth?.alias.name).toBe(APP.uid);
    expect((await h.call('read', 'config')).data).toMatchObject({ token_reviewer_jwt_set: false });
  });

  it('names the alias <namespace>/<name> when the role says so, and accepts legacy tokens', async () => {
    const h = await mounted({}, { alias_name_source: 'serviceaccount_name' });
    const res = await h.login('app', await saToken(h, { ...APP, style: 'legacy' }));
    expect(res.auth?.alias.name).toBe('default/app');
    expect(res.auth?.displayName).toBe('kubernetes-default/app');
  });

  it('matches globs on names and namespaces, canonicalised to lower case', async () => {
    const h = await mounted({}, { bound_service_account_names: [' App-* '], bound_service_account_namespaces: 'Team-*, Default' });
    expect((await h.call('read', 'role/app')).data).toMatchObject({
      bound_service_account_names: ['app-*'],
      bound_service_account_namespaces: ['team-*', 'default'],
    });
    await h.login('app', await saToken(h, { ...APP, name: 'app-web', namespace: 'team-a' }));
    await h.login('app', await saToken(h, { ...APP, name: 'app-web', namespace: 'default' }));
    await refused(h, await saToken(h, { ...APP, name: 'web', namespace: 'team-a' }), 'service_account_not_bound');
    // Kubernetes names are lower case: a token claiming "Default" names no namespace at all.
    await refused(h, await saToken(h, { ...APP, name: 'app-web', namespace: 'Default' }), 'jwt_not_service_account');
  });

  it('refuses a wrong namespace without calling TokenReview', async () => {
    const h = await mounted();
    const before = review.reviews().length;
    await refused(h, await saToken(h, { ...APP, namespace: 'kube-system' }), 'namespace_not_bound');
    expect(review.reviews().length).toBe(before);
  });

  it('refuses what the API server does not authenticate', async () => {
    const h = await mounted();
    await refused(h, await saToken(h, APP, review, 'invalid'), 'tokenreview_unauthenticated');
  });

  it('refuses when the reviewer may not review (403)', async () => {
    const h = await mounted({ token_reviewer_jwt: 'eyJ.wrong.reviewer' });
    await refused(h, await saToken(h, APP), 'tokenreview_forbidden');
  });

  it('refuses a review naming another service account than the token claims', async () => {
    const h = await mounted({}, { bound_service_account_names: '*' });
    const jwt = await saToken(h, APP);
    review.verdicts.set(jwt, { authenticated: true, username: 'system:serviceaccount:default:other', uid: APP.uid, audiences: [K8S_ISSUER] });
    await refused(h, jwt, 'identity_mismatch');
    review.verdicts.set(jwt, { authenticated: true, username: 'system:node:worker-1', uid: 'x', audiences: [K8S_ISSUER] });
    await refused(h, jwt, 'tokenreview_not_service_account');
  });

  it('asks for and checks the role\'s audience', async () => {
    const h = await mounted({}, { audience: 'keygate' });
    const jwt = await saToken(h, { ...APP, aud: 'keygate' });
    const before = review.reviews().length;
    await h.login('app', jwt);
    expect(JSON.parse(review.reviews()[before]?.body ?? '{}')).toMatchObject({ spec: { audiences: ['keygate'] } });
    await refused(h, await saToken(h, { ...APP, aud: 'vault' }), 'tokenreview_audience');
  });

  it('checks the issuer when issuer validation is on', async () => {
    const h = await mounted({ disable_iss_validation: false, issuer: K8S_ISSUER });
    await h.login('app', await saToken(h, APP));
    await refused(h, await saToken(h, { ...APP, iss: 'https://other.cluster' }), 'iss_mismatch');
  });

  it('fails closed with 401 when the API server is down', async () => {
    const gone = await startTestServer(() => ({ status: 500 }));
    const url = gone.url;
    await gone.close();
    const h = await mounted({ kubernetes_host: url });
    await refused(h, await saToken(h, APP), 'tokenreview_unreachable');
  });

  it('fails closed with 401 on an API server error status', async () => {
    const broken = await startTestServer(() => ({ status: 500, body: { kind: 'Status' } }));
    servers.push(broken);
    const h = await mounted({ kubernetes_host: broken.url });
    await refused(h, await saToken(h, APP), 'tokenreview_http_status');
  });

  it('bounds a slow API server by the request timeout', async () => {
    const slow = await startTestServer(() => ({ hang: true }));
    servers.push(slow);
    const h = await mounted({ kubernetes_host: slow.url }, {}, { request_timeout: '300ms' });
    const started = Date.now();
    await refused(h, await saToken(h, APP), 'tokenreview_timeout');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses malformed and oversized tokens before any call', async () => {
    const h = await mounted();
    const before = review.reviews().length;
    await refused(h, 'not-a-jwt', 'jwt_malformed');
    await refused(h, `${'a'.repeat(17_000)}.b.c`, 'jwt_too_large');
    await refused(h, await saToken(h, APP), 'role_not_found', 'nobody');
    expect(review.reviews().length).toBe(before);
  });

  it('enforces token_bound_cidrs at login', async () => {
    const h = await mounted({}, { token_bound_cidrs: '10.0.0.0/8' });
    const jwt = await saToken(h, APP);
    await h.login('app', jwt, '10.9.9.9');
    const err = await h.failure(h.login('app', jwt, '172.16.0.1'));
    expect(err).toBeInstanceOf(UnauthenticatedError);
    expect(h.reasons().at(-1)).toBe('cidr_mismatch');
  });
});

const tlsAvailable = hasOpenssl();
if (!tlsAvailable) console.warn(`kubernetes over TLS: ${OPENSSL_MISSING}`);

describe.runIf(tlsAvailable)('kubernetes login over TLS with a private CA', () => {
  it('reviews over tlsFetch trusting kubernetes_ca_cert, and refuses an untrusted server', async () => {
    const pki = makeTestPki();
    const secure = await startTokenReviewServer(REVIEWER, pki.server);
    servers.push(secure);
    const runtime = { ...createTestRuntime(), tlsFetch: ({ caPem }: { caPem: string }) => createTlsFetch({ caPem }) };
    const h = createKubernetesHarness({ request_timeout: '2s' }, runtime);
    await h.call('update', 'config', { kubernetes_host: secure.url, kubernetes_ca_cert: pki.caPem, token_reviewer_jwt: REVIEWER });
    await h.call('update', 'role/app', { bound_service_account_names: 'app', bound_service_account_namespaces: 'default' });
    await h.login('app', await saToken(h, APP, secure));
    await h.call('update', 'config', { kubernetes_host: secure.url, kubernetes_ca_cert: pki.otherCaPem, token_reviewer_jwt: REVIEWER });
    await refused(h, await saToken(h, APP, secure), 'tokenreview_unreachable');
  });
});

describe('kubernetes login with use_jwks (local verification)', () => {
  async function jwksMounted(role: JsonObject = {}, useJwks: JsonObject = { jwks_url: `${jwks.url}/keys` }): Promise<KubernetesHarness> {
    return mounted({ use_jwks: useJwks, issuer: K8S_ISSUER }, role);
  }

  it('verifies a projected token against the cluster JWKS, without TokenReview', async () => {
    const h = await jwksMounted({ audience: 'keygate' });
    const before = review.reviews().length;
    const res = await h.login('app', await saToken(h, { ...APP, aud: ['keygate', 'other'] }, null));
    expect(res.auth?.alias.name).toBe(APP.uid);
    expect(review.reviews().length).toBe(before);
  });

  it('verifies with configured PEM keys', async () => {
    const h = await jwksMounted({}, { pem_keys: [signer.spkiPem] });
    await h.login('app', await saToken(h, APP, null));
  });

  it('refuses wrong audience, issuer, expiry, missing exp, and a foreign signature', async () => {
    const h = await jwksMounted({ audience: 'keygate' });
    await refused(h, await saToken(h, { ...APP, aud: 'vault' }, null), 'aud_mismatch');
    await refused(h, await saToken(h, { ...APP, aud: 'keygate', iss: 'https://evil' }, null), 'iss_mismatch');
    await refused(h, await saToken(h, { ...APP, aud: 'keygate', exp: h.nowSeconds() - 120 }, null), 'jwt_expired');
    await refused(h, await saToken(h, { ...APP, aud: 'keygate', exp: undefined }, null), 'exp_missing');
    const other = await makeSigner('RS256', 'sa-key');
    const forged = await serviceAccountToken(other, { ...APP, aud: 'keygate' }, h.nowSeconds());
    await refused(h, forged, 'signature_invalid');
  });

  it('sends the reviewer JWT to a JWKS on the API server itself, and only there', async () => {
    const cluster = await startJwksServer([signer.publicJwk]);
    servers.push(cluster);
    const h = createKubernetesHarness();
    await h.call('update', 'config', { kubernetes_host: cluster.url, token_reviewer_jwt: REVIEWER, use_jwks: { jwks_url: `${cluster.url}/keys` }, disable_iss_validation: true });
    await h.call('update', 'role/app', { bound_service_account_names: 'app', bound_service_account_namespaces: 'default' });
    await h.login('app', await saToken(h, APP, null));
    expect(cluster.requests.at(-1)?.headers.authorization).toBe(`Bearer ${REVIEWER}`);
    const before = jwks.requests.length;
    const other = await jwksMounted();
    await other.login('app', await saToken(other, APP, null));
    expect(jwks.requests.slice(before).every((r) => r.headers.authorization === undefined)).toBe(true);
  });
});

describe('kubernetes secrecy', () => {
  it('never shows the reviewer JWT or a client JWT in a read, a log line or an error', async () => {
    const h = await mounted();
    const read = await h.call('read', 'config');
    expect(read.data).toMatchObject({ token_reviewer_jwt_set: true });
    expect(revealingStringify(read)).not.toContain('cmV2aWV3ZXItY2FuYXJ5');
    const err = await refused(h, await saToken(h, APP, review, 'invalid'), 'tokenreview_unauthenticated');
    const everything = revealingStringify({ message: err.message, details: err.details, stack: err.stack, logged: h.runtime.logged });
    expect(everything).not.toContain('cmV2aWV3ZXItY2FuYXJ5');
    for (const t of presented) {
      for (const part of t.split('.').filter((p) => p.length > 8)) expect(everything).not.toContain(part);
    }
  });
});
