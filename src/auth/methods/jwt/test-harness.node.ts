/**
 * A JWT auth mount for tests (not exported from the folder): the method over memory
 * storage and a test runtime, signers made with jose, and a JWKS server on 127.0.0.1.
 */

import { SignJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';
import type { GatewayError } from '../../../core/index.js';
import type { BackendRequest, Engine, JsonObject, Operation, OperationResponse } from '../../../core/index.js';
import { instantiateEngine } from '../../../native-engines/framework/index.js';
import { backendRequest, createTestRuntime, gatewayFailure } from '../../../native-engines/test-support.js';
import type { TestRuntime } from '../../../native-engines/test-support.js';
import { createMemoryStorage } from '../../../storage/memory.js';
import { startTestServer } from '../test-servers.node.js';
import type { TestServer } from '../test-servers.node.js';
import { jwtMethod } from './method.js';

/** A signing key and its public forms. */
export interface Signer {
  alg: string;
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  spkiPem: string;
}

/** Generates a signer for `alg` with key id `kid`. */
export async function makeSigner(alg: 'RS256' | 'ES256' | 'EdDSA' | 'PS256', kid: string): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, publicJwk, spkiPem: await exportSPKI(publicKey) };
}

/** Signs `claims` with `signer`; `header` overrides or adds protected header members. */
export function sign(signer: Signer, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: 'JWT', ...header }).sign(signer.privateKey);
}

/** A JWKS server whose key list a test can change; counts requests. */
export interface JwksServer extends TestServer {
  keys: JWK[];
  /** Requests for the key set so far. */
  hits(): number;
}

/** Serves `{ keys }` at `/keys` (and a discovery document at `/.well-known/openid-configuration` naming `issuer`). */
export async function startJwksServer(keys: JWK[], issuer?: (url: string) => string): Promise<JwksServer> {
  const state = { keys };
  let url = '';
  const server = await startTestServer((req) => {
    if (req.path === '/keys') return { body: { keys: state.keys } };
    if (req.path === '/.well-known/openid-configuration') {
      return { body: { issuer: issuer === undefined ? url : issuer(url), jwks_uri: `${url}/keys`, id_token_signing_alg_values_supported: ['RS256'] } };
    }
    return { status: 404, body: {} };
  });
  url = server.url;
  return {
    url: server.url,
    requests: server.requests,
    close: () => server.close(),
    get keys() {
      return state.keys;
    },
    set keys(next: JWK[]) {
      state.keys = next;
    },
    hits: () => server.requests.filter((r) => r.path === '/keys').length,
  };
}

/** A mounted JWT method. */
export interface JwtHarness {
  engine: Engine;
  runtime: TestRuntime;
  /** Seconds since the epoch on the test clock. */
  nowSeconds(): number;
  call(operation: Operation, path: string, data?: JsonObject, clientAddress?: string): Promise<OperationResponse>;
  login(role: string, jwt: string, clientAddress?: string): Promise<OperationResponse>;
  /** The error `promise` rejects with (fails if it resolves or throws a non-GatewayError). */
  failure(promise: Promise<unknown>): Promise<GatewayError>;
  /** Reasons of the `login refused` lines logged so far. */
  reasons(): string[];
}

/** Mounts the JWT method with `options` on a fresh memory storage. */
export function createJwtHarness(options: unknown = { request_timeout: '2s' }, runtime: TestRuntime = createTestRuntime()): JwtHarness {
  const engine = instantiateEngine(jwtMethod, { storage: createMemoryStorage(), runtime, options });
  const call = (operation: Operation, path: string, data: JsonObject = {}, clientAddress?: string): Promise<OperationResponse> => {
    const req: BackendRequest = { ...backendRequest(operation, path, { data, mountPath: 'jwt/' }, 'jwt'), clientAddress: clientAddress ?? '127.0.0.1' };
    return engine.handle(req);
  };
  return {
    engine,
    runtime,
    nowSeconds: () => Math.floor(runtime.now() / 1000),
    call,
    login: (role, jwt, clientAddress) => call('update', 'login', { role, jwt }, clientAddress),
    failure: gatewayFailure,
    reasons() {
      const out: string[] = [];
      for (const line of runtime.logged) {
        const parsed: unknown = JSON.parse(line);
        if (!Array.isArray(parsed)) continue;
        const [fields, message] = parsed;
        if (message !== 'login refused' || typeof fields !== 'object' || fields === null) continue;
        const reason: unknown = Reflect.get(fields, 'reason');
        if (typeof reason === 'string') out.push(reason);
      }
      return out;
    },
  };
}
