/**
 * An AppRole mount for tests (not exported from the folder): the method over the memory
 * storage, a hand-driven clock and a recording logger, and short-hands for calls.
 */

import { revealingStringify } from '../../../core/index.js';
import type { GatewayError } from '../../../core/index.js';
import type { AuthResult, Engine, JsonObject, Operation, OperationResponse, Storage } from '../../../core/index.js';
import { instantiateEngine } from '../../../native-engines/framework/index.js';
import { backendRequest, createTestRuntime, dumpStorageText, gatewayFailure } from '../../../native-engines/test-support.js';
import type { RequestInit, TestRuntime } from '../../../native-engines/test-support.js';
import { createMemoryStorage } from '../../../storage/index.js';
import { approleMethod } from './method.js';

/** Options of one call: the request parts, plus the client address the gateway would set. */
export interface CallInit extends RequestInit {
  clientAddress?: string | null;
}

/** A mounted AppRole method and what it runs on. */
export interface ApproleHarness {
  engine: Engine;
  storage: Storage;
  runtime: TestRuntime;
  call(operation: Operation, path: string, init?: CallInit): Promise<OperationResponse>;
  /** Creates or updates role `name`. */
  writeRole(name: string, data?: JsonObject): Promise<OperationResponse>;
  /** Role `name`'s role_id. */
  roleId(name: string): Promise<string>;
  /** Generates a secret id for role `name`: the value and its accessor. */
  secretId(name: string, data?: JsonObject): Promise<{ secretId: string; accessor: string; data: JsonObject }>;
  /** Logs in; resolves to the `AuthResult`. */
  login(roleId: string, secretId?: string, clientAddress?: string | null): Promise<AuthResult>;
  /** The error `promise` rejects with (fails the test if it resolves or throws something else). */
  failure(promise: Promise<unknown>): Promise<GatewayError>;
  /** Every stored key and its value as UTF-8 (memory storage: no barrier here). */
  dump(): Promise<Map<string, string>>;
}

/** Everything a response would put on the wire, secrets revealed. */
export function revealed(response: OperationResponse): JsonObject {
  const parsed: unknown = JSON.parse(revealingStringify(response));
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? Object.fromEntries(Object.entries(parsed)) : {};
}

function objectAt(value: unknown): JsonObject {
  const parsed: unknown = JSON.parse(JSON.stringify(value ?? {}));
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? Object.fromEntries(Object.entries(parsed)) : {};
}

/** Mounts AppRole on `storage` (default: fresh memory storage). */
export function createApproleHarness(storage: Storage = createMemoryStorage(), runtime: TestRuntime = createTestRuntime()): ApproleHarness {
  const engine = instantiateEngine(approleMethod, { storage, runtime, options: undefined });
  const call = (operation: Operation, path: string, init: CallInit = {}): Promise<OperationResponse> => {
    const { clientAddress, ...rest } = init;
    const req = { ...backendRequest(operation, path, { mountPath: 'approle/', ...rest }, 'approle'), clientAddress: clientAddress ?? null };
    return engine.handle(req);
  };
  const harness: ApproleHarness = {
    engine,
    storage,
    runtime,
    call,
    writeRole: (name, data = {}) => call('update', `role/${name}`, { data }),
    async roleId(name) {
      const response = await call('read', `role/${name}/role-id`);
      return String(response.data?.role_id);
    },
    async secretId(name, data = {}) {
      const body = objectAt(revealed(await call('update', `role/${name}/secret-id`, { data })).data);
      return { secretId: String(body.secret_id), accessor: String(body.secret_id_accessor), data: body };
    },
    async login(roleId, secretId, clientAddress = '10.0.0.1') {
      const data: JsonObject = secretId === undefined ? { role_id: roleId } : { role_id: roleId, secret_id: secretId };
      const response = await call('update', 'login', { data, clientAddress });
      if (response.auth === undefined) throw new Error('login answered without auth');
      return response.auth;
    },
    failure: gatewayFailure,
    dump: () => dumpStorageText(storage),
  };
  return harness;
}
