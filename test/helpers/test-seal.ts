/**
 * A seal type for gateway tests: `testkms`, a KMS stand-in whose keys live in this process
 * (AES-GCM under a key per `key_id`, the same code as the dev seal) and can be switched off
 * to act out an outage. The cloud seals themselves are tested against moto, the Cloud KMS
 * double and the Key Vault double (`src/barrier/seals/*`, `test/seals-clouds.test.ts`).
 */

import { z } from 'zod';
import { GatewayError, createWebRuntime } from '../../src/core/index.js';
import { createStaticKeySeal } from '../../src/barrier/index.js';
import type { KeyWrapper, SealDefinition } from '../../src/barrier/index.js';

export interface TestKms {
  definition: SealDefinition;
  /** Key ids that answer ERR_SEAL_UNAVAILABLE, as an unreachable KMS does. */
  down: Set<string>;
  /** Unwrap calls per key id. */
  unwraps: Map<string, number>;
}

export function createTestKms(): TestKms {
  const runtime = createWebRuntime();
  const keys = new Map<string, KeyWrapper>();
  const down = new Set<string>();
  const unwraps = new Map<string, number>();
  const keyFor = (id: string): KeyWrapper => {
    let k = keys.get(id);
    if (k === undefined) {
      k = createStaticKeySeal({ key: runtime.randomBytes(32), subtle: runtime.subtle, randomBytes: runtime.randomBytes, type: 'testkms', keyId: id });
      keys.set(id, k);
    }
    return k;
  };
  const unavailable = (id: string) => new GatewayError('ERR_SEAL_UNAVAILABLE', `test KMS key ${id} is unreachable`);
  const definition: SealDefinition = {
    type: 'testkms',
    options: z.strictObject({ key_id: z.string().min(1) }),
    create: (options: { key_id: string }) => ({
      type: 'testkms',
      wrap: async (key, aad) => {
        if (down.has(options.key_id)) throw unavailable(options.key_id);
        return keyFor(options.key_id).wrap(key, aad);
      },
      unwrap: async (wrapped, aad) => {
        unwraps.set(options.key_id, (unwraps.get(options.key_id) ?? 0) + 1);
        if (down.has(options.key_id)) throw unavailable(options.key_id);
        return keyFor(options.key_id).unwrap(wrapped, aad);
      },
      validate: async () => {
        if (down.has(options.key_id)) throw unavailable(options.key_id);
      },
    }),
  };
  return { definition, down, unwraps };
}
