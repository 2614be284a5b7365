/**
 * The in-repo GCP double (TESTING.md): a gRPC server on 127.0.0.1 built from the protos that
 * Google's client packages ship. Today it hosts Secret Manager; Cloud KMS can join the same
 * server as another `DoubleService` (see `server.ts`).
 */

import { createSecretManagerDouble } from './secret-manager.js';
import type { SecretManagerDouble } from './secret-manager.js';
import { startGcpDouble } from './server.js';
import type { GcpDouble } from './server.js';

export { createSecretManagerDouble, LIMITS as SECRET_MANAGER_LIMITS } from './secret-manager.js';
export { createKmsDouble, KMS_LIMITS, startKmsDouble } from './kms.js';
export type { KmsDouble, KmsVersionState } from './kms.js';
export type { SecretManagerDouble } from './secret-manager.js';
export { googleProtoDirs, startGcpDouble } from './server.js';
export type { CallContext, DoubleService, GcpDouble, UnaryHandler } from './server.js';
export type { FaultRule, Faults } from './faults.js';
export { RpcError } from './status.js';

/**
 * A service-account key for tests: well-formed, never valid anywhere. Google's client takes
 * it instead of looking for application default credentials, so nothing probes a metadata
 * server; over the double's plaintext channel it is never used to sign anything.
 */
export const TEST_SERVICE_ACCOUNT_KEY = {
  type: 'service_account',
  client_email: 'keygate-test@keygate-test.iam.gserviceaccount.com',
  private_key: '-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAkeygate0test0only\n-----END PRIVATE KEY-----\n',
  project_id: 'keygate-test',
} as const;

/** Starts a double hosting Secret Manager. Stop it with `stop()` when the suite ends. */
export async function startSecretManagerDouble(opts: { now?: () => number } = {}): Promise<GcpDouble & { secretManager: SecretManagerDouble }> {
  const secretManager = createSecretManagerDouble(opts);
  const double = await startGcpDouble([secretManager.service]);
  return { ...double, secretManager };
}
