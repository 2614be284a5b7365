/**
 * An AWS mount for tests (a test helper, excluded from the build): the method over memory
 * storage, a hand-driven clock (starting now, since signed requests carry real times) and
 * a recording logger, plus a builder for Vault-shaped login bodies.
 */

import { GatewayError, toBase64, utf8 } from '../../../core/index.js';
import type { AuthResult, Engine, JsonObject, Operation, OperationResponse } from '../../../core/index.js';
import { instantiateEngine } from '../../../native-engines/framework/index.js';
import { backendRequest, createTestRuntime } from '../../../native-engines/test-support.js';
import type { RequestInit, TestRuntime } from '../../../native-engines/test-support.js';
import { createMemoryStorage } from '../../../storage/index.js';
import { awsMethod } from './method.js';

/** A mounted AWS method. */
export interface AwsHarness {
  engine: Engine;
  runtime: TestRuntime;
  call(operation: Operation, path: string, init?: RequestInit): Promise<OperationResponse>;
  login(body: JsonObject): Promise<AuthResult>;
  /** The error `promise` rejects with (fails the test if it resolves or throws something else). */
  failure(promise: Promise<unknown>): Promise<GatewayError>;
  /** Runs `attempt`, expects the opaque 401, and returns the reason the log line gave. */
  refusalReason(attempt: () => Promise<unknown>): Promise<string>;
}

/** Mounts the AWS method with `options`. */
export function createAwsHarness(options: unknown = undefined, runtime: TestRuntime = createTestRuntime(Date.now())): AwsHarness {
  const engine = instantiateEngine(awsMethod, { storage: createMemoryStorage(), runtime, options });
  const call = (operation: Operation, path: string, init: RequestInit = {}): Promise<OperationResponse> =>
    engine.handle({ ...backendRequest(operation, path, { mountPath: 'aws/', ...init }, 'aws'), clientAddress: '10.0.0.1' });
  const failure = async (promise: Promise<unknown>): Promise<GatewayError> => {
    try {
      await promise;
    } catch (err) {
      if (err instanceof GatewayError) return err;
      throw err;
    }
    throw new Error('expected the call to fail');
  };
  return {
    engine,
    runtime,
    call,
    async login(body) {
      const response = await call('update', 'login', { data: body });
      if (response.auth === undefined) throw new Error('login answered without auth');
      return response.auth;
    },
    failure,
    async refusalReason(attempt) {
      const before = runtime.logged.length;
      const err = await failure(attempt());
      if (err.code !== 'ERR_UNAUTHENTICATED' || err.message !== 'missing or invalid client token' || err.details !== undefined) {
        throw new Error(`expected the opaque 401, got ${err.code}: ${err.message}`);
      }
      const lines = runtime.logged.slice(before);
      const parsed: unknown = JSON.parse(lines[lines.length - 1] ?? '[]');
      const first: unknown = Array.isArray(parsed) ? parsed[0] : null;
      const reason: unknown = typeof first === 'object' && first !== null ? Reflect.get(first, 'reason') : null;
      return typeof reason === 'string' ? reason : 'no log line';
    },
  };
}

/** The parts of a signed request, before encoding. */
export interface RawSignedRequest {
  method?: string;
  url: string;
  body: string;
  headers: Record<string, string | string[]>;
  role?: string;
}

/** A login body as Vault's clients build it: URL and body in base64, headers as base64 JSON. */
export function loginBodyOf(raw: RawSignedRequest, headersAs: 'base64' | 'object' = 'base64'): JsonObject {
  const body: JsonObject = {
    iam_http_request_method: raw.method ?? 'POST',
    iam_request_url: toBase64(utf8(raw.url)),
    iam_request_body: toBase64(utf8(raw.body)),
    iam_request_headers: headersAs === 'base64' ? toBase64(utf8(JSON.stringify(raw.headers))) : raw.headers,
  };
  if (raw.role !== undefined) body.role = raw.role;
  return body;
}
