/**
 * Test fixture: the GCP double (test/emulators/gcp) on a free loopback port, a port built
 * from options exactly as a mount would parse them, and Google's own client on the same
 * double for looking at what the port wrote.
 */

import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { createWebRuntime } from '../../core/index.js';
import { TEST_SERVICE_ACCOUNT_KEY, startSecretManagerDouble } from '../../../test/emulators/gcp/index.js';
import type { GcpDouble, SecretManagerDouble } from '../../../test/emulators/gcp/index.js';
import type { SecretProvider } from '../types.js';
import { gcpSecretManagerOptionsSchema } from './options.js';
import type { GcpSecretManagerOptions } from './options.js';
import { createGcpSecretManagerPort } from './port.node.js';

/** The project every GCP test uses (the double accepts any). */
export const TEST_PROJECT = 'keygate-test';

/** A running double with a port and Google's client on it. */
export interface GcpFixture {
  double: GcpDouble & { secretManager: SecretManagerDouble };
  options: GcpSecretManagerOptions;
  port: SecretProvider;
  /** Google's client, straight to the double (no Keygate in between). */
  raw: SecretManagerServiceClient;
  /** A second port with other options on the same double. */
  portWith(overrides: Record<string, unknown>): SecretProvider;
  cleanup(): Promise<void>;
}

/** Starts the double and a port on it; `overrides` are mount options laid over the defaults. */
export async function startGcpFixture(overrides: Record<string, unknown> = {}): Promise<GcpFixture> {
  const double = await startSecretManagerDouble();
  const ports: SecretProvider[] = [];
  const portWith = (extra: Record<string, unknown>): SecretProvider => {
    const options = gcpSecretManagerOptionsSchema.parse({
      project: TEST_PROJECT,
      api_endpoint: '127.0.0.1',
      port: double.port,
      insecure: true,
      credentials: TEST_SERVICE_ACCOUNT_KEY,
      ...extra,
    });
    const p = createGcpSecretManagerPort(options, { runtime: createWebRuntime() });
    ports.push(p);
    return p;
  };
  const port = portWith(overrides);
  const options = gcpSecretManagerOptionsSchema.parse({ project: TEST_PROJECT, api_endpoint: '127.0.0.1', port: double.port, insecure: true, credentials: TEST_SERVICE_ACCOUNT_KEY, ...overrides });
  const raw = new SecretManagerServiceClient({
    ...double.clientOptions(),
    projectId: TEST_PROJECT,
    credentials: { client_email: TEST_SERVICE_ACCOUNT_KEY.client_email, private_key: TEST_SERVICE_ACCOUNT_KEY.private_key },
  });
  return {
    double,
    options,
    port,
    raw,
    portWith,
    async cleanup() {
      for (const p of ports) await p.close?.();
      await raw.close();
      await double.stop();
    },
  };
}
