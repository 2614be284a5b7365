/**
 * Test helper (excluded from the build): a moto server per test file, through the AWS
 * login tests' launcher, and ports pointed at it. Never reaches real AWS: every endpoint is
 * moto on 127.0.0.1, and the EC2 metadata probe is switched off.
 */

import { createWebRuntime } from '../../core/index.js';
import { delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';
import { motoAvailability, requireAll, startMoto as startUnpatchedMoto } from '../../auth/methods/aws/test-moto.node.js';
import type { MotoServer } from '../../auth/methods/aws/test-moto.node.js';
import type { SecretProvider } from '../types.js';
import { awsSecretsManagerOptionsSchema } from './options.js';
import type { AwsSecretsManagerOptions } from './options.js';
import { createAwsSecretsManagerPort } from './port.node.js';

export type { MotoServer };

/** The folder whose `sitecustomize.py` patches one moto gap (see the file). */
const MOTO_PATCH_DIR = fileURLToPath(new URL('./test-moto-patch/', import.meta.url));

/**
 * Starts moto through the login tests' launcher, with `test-moto-patch/sitecustomize.py` on
 * the server's PYTHONPATH (the launcher passes this process's environment to moto).
 */
export async function startMoto(): Promise<MotoServer> {
  const saved = process.env.PYTHONPATH;
  process.env.PYTHONPATH = saved === undefined || saved === '' ? MOTO_PATCH_DIR : `${MOTO_PATCH_DIR}${delimiter}${saved}`;
  try {
    return await startUnpatchedMoto();
  } finally {
    if (saved === undefined) delete process.env.PYTHONPATH;
    else process.env.PYTHONPATH = saved;
  }
}

/** Whether this file's moto suite runs; when it is skipped, prints the one line saying why. */
export function motoSuite(label: string): { skip: boolean } {
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  const availability = motoAvailability();
  const skip = !availability.ok && !requireAll();
  if (!availability.ok && skip) console.warn(`[skip] ${label} (moto): ${availability.reason}`);
  return { skip };
}

/** Options for a port on `moto`, with test credentials; `extra` is merged in before validation. */
export function motoOptions(moto: MotoServer, extra: Record<string, unknown> = {}): AwsSecretsManagerOptions {
  return awsSecretsManagerOptionsSchema.parse({
    region: 'us-east-1',
    endpoint: moto.endpoint,
    credentials: { access_key_id: 'testing', secret_access_key: 'testing' },
    ...extra,
  });
}

/** A port on `moto`. */
export function motoPort(moto: MotoServer, extra: Record<string, unknown> = {}): SecretProvider {
  return createAwsSecretsManagerPort(motoOptions(moto, extra), { runtime: createWebRuntime() });
}

/** Forgets everything moto holds (`POST /moto-api/reset`). */
export async function resetMoto(moto: MotoServer): Promise<void> {
  const res = await fetch(`${moto.endpoint}moto-api/reset`, { method: 'POST' });
  await res.body?.cancel();
  if (res.status !== 200) throw new Error(`moto reset answered ${res.status}`);
}
