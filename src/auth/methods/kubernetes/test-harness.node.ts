/**
 * A Kubernetes auth mount for tests (not exported from the folder): the method over memory
 * storage, service-account tokens signed with jose, and a TokenReview server on 127.0.0.1
 * that behaves like the API server's: it checks the bearer, then reviews the token.
 */

import { SignJWT } from 'jose';
import type { GatewayError } from '../../../core/index.js';
import type { BackendRequest, Engine, JsonObject, Operation, OperationResponse } from '../../../core/index.js';
import { instantiateEngine } from '../../../native-engines/framework/index.js';
import { backendRequest, createTestRuntime, gatewayFailure } from '../../../native-engines/test-support.js';
import type { TestRuntime } from '../../../native-engines/test-support.js';
import { createMemoryStorage } from '../../../storage/memory.js';
import type { Signer } from '../jwt/test-harness.node.js';
import { startTestServer } from '../test-servers.node.js';
import type { RecordedRequest, TestReply, TestServer, TlsIdentity } from '../test-servers.node.js';
import { kubernetesMethod } from './method.js';

/** What a test token says about its service account. */
export interface AccountClaims {
  namespace: string;
  name: string;
  uid: string;
  aud?: string | string[];
  iss?: string;
  exp?: number | undefined;
  /** `legacy` uses the old secret-based claims (no exp unless given). */
  style?: 'projected' | 'legacy';
}

/** Signs a service-account token for `account` with `signer`, at `nowSeconds`. */
export function serviceAccountToken(signer: Signer, account: AccountClaims, nowSeconds: number): Promise<string> {
  const sub = `system:serviceaccount:${account.namespace}:${account.name}`;
  const claims: Record<string, unknown> =
    account.style === 'legacy'
      ? {
          iss: account.iss ?? 'kubernetes/serviceaccount',
          sub,
          'kubernetes.io/serviceaccount/namespace': account.namespace,
          'kubernetes.io/serviceaccount/service-account.name': account.name,
          'kubernetes.io/serviceaccount/service-account.uid': account.uid,
          ...('exp' in account ? { exp: account.exp } : {}),
        }
      : {
          iss: account.iss ?? 'https://kubernetes.default.svc.cluster.local',
          sub,
          aud: account.aud ?? ['https://kubernetes.default.svc.cluster.local'],
          iat: nowSeconds,
          exp: 'exp' in account ? account.exp : nowSeconds + 600,
          'kubernetes.io': { namespace: account.namespace, serviceaccount: { name: account.name, uid: account.uid } },
        };
  return new SignJWT(claims).setProtectedHeader({ alg: signer.alg, kid: signer.kid }).sign(signer.privateKey);
}

/** How the fake API server answers a review of one token. */
export interface ReviewVerdict {
  authenticated: boolean;
  username?: string;
  uid?: string;
  audiences?: string[];
}

/** A TokenReview server: `verdicts` by token; `reviewer` is the bearer it accepts (`self`: the token under review). */
export interface TokenReviewServer extends TestServer {
  verdicts: Map<string, ReviewVerdict>;
  reviews(): RecordedRequest[];
}

/** Starts a TokenReview server. */
export async function startTokenReviewServer(reviewer: string | 'self', tls?: TlsIdentity): Promise<TokenReviewServer> {
  const verdicts = new Map<string, ReviewVerdict>();
  const server = await startTestServer((req): TestReply => {
    if (req.method !== 'POST' || req.path !== '/apis/authentication.k8s.io/v1/tokenreviews') return { status: 404, body: {} };
    const parsed: unknown = JSON.parse(req.body);
    const spec: unknown = typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, 'spec') : undefined;
    const token: unknown = typeof spec === 'object' && spec !== null ? Reflect.get(spec, 'token') : undefined;
    const expected = reviewer === 'self' ? token : reviewer;
    if (req.headers.authorization !== `Bearer ${String(expected)}`) return { status: 403, body: { kind: 'Status', reason: 'Forbidden' } };
    const verdict = typeof token === 'string' ? verdicts.get(token) : undefined;
    if (verdict === undefined || !verdict.authenticated) {
      return { status: 201, body: { kind: 'TokenReview', status: { authenticated: false, error: 'invalid bearer token' } } };
    }
    return {
      status: 201,
      body: {
        kind: 'TokenReview',
        status: { authenticated: true, user: { username: verdict.username, uid: verdict.uid, groups: ['system:serviceaccounts'] }, audiences: verdict.audiences ?? [] },
      },
    };
  }, tls);
  return { ...server, verdicts, reviews: () => server.requests };
}

/** A mounted Kubernetes method. */
export interface KubernetesHarness {
  engine: Engine;
  runtime: TestRuntime;
  nowSeconds(): number;
  call(operation: Operation, path: string, data?: JsonObject): Promise<OperationResponse>;
  login(role: string, jwt: string, clientAddress?: string): Promise<OperationResponse>;
  failure(promise: Promise<unknown>): Promise<GatewayError>;
  /** Reasons of the `login refused` lines logged so far. */
  reasons(): string[];
}

/** Mounts the Kubernetes method on a fresh memory storage. */
export function createKubernetesHarness(options: unknown = { request_timeout: '2s' }, runtime: TestRuntime = createTestRuntime()): KubernetesHarness {
  const engine = instantiateEngine(kubernetesMethod, { storage: createMemoryStorage(), runtime, options });
  const call = (operation: Operation, path: string, data: JsonObject = {}, clientAddress = '127.0.0.1'): Promise<OperationResponse> => {
    const req: BackendRequest = { ...backendRequest(operation, path, { data, mountPath: 'kubernetes/' }, 'kubernetes'), clientAddress };
    return engine.handle(req);
  };
  return {
    engine,
    runtime,
    nowSeconds: () => Math.floor(runtime.now() / 1000),
    call: (operation, path, data) => call(operation, path, data),
    login: (role, jwt, clientAddress) => call('update', 'login', { role, jwt }, clientAddress),
    failure: gatewayFailure,
    reasons() {
      const out: string[] = [];
      for (const line of runtime.logged) {
        const parsed: unknown = JSON.parse(line);
        if (!Array.isArray(parsed) || parsed[1] !== 'login refused') continue;
        const fields: unknown = parsed[0];
        const reason: unknown = typeof fields === 'object' && fields !== null ? Reflect.get(fields, 'reason') : undefined;
        if (typeof reason === 'string') out.push(reason);
      }
      return out;
    },
  };
}
