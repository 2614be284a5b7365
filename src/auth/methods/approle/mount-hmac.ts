/**
 * The mount's keyed hash: HMAC-SHA256 under a 256-bit key that is created on first use,
 * stored in the mount's barrier view, and imported once into a non-extractable WebCrypto
 * key kept for the life of the mount. Secret ids and role ids are stored and looked up
 * only by this hash, so a storage dump (even decrypted) cannot be used to log in, and a
 * stolen hash cannot be reversed without the key.
 */

import { z } from 'zod';
import { GatewayError, fromBase64, toBase64, toHex, utf8 } from '../../../core/index.js';
import type { Runtime, Storage } from '../../../core/index.js';
import { loadJson, saveJson } from '../../../native-engines/framework/stored-json.js';
import { HMAC_KEY_KEY } from './layout.js';

/** What is hashed: a domain tag keeps the role-id and secret-id indexes apart. */
export type HmacDomain = 'role-id' | 'secret-id';

/** The mount's keyed hash. */
export interface MountHmac {
  /** Lower-case hex HMAC-SHA256 of `domain ‖ NUL ‖ value` under the mount's key. */
  hex(domain: HmacDomain, value: string): Promise<string>;
}

const KEY_BYTES = 32;

const keyRecordSchema = z.object({ key: z.string(), created_time: z.string() });

/**
 * The keyed hash of one mount. Nothing happens until the first `hex` call, which loads the
 * key (or creates and stores it) once; a failure (e.g. sealed storage) is not cached.
 */
export function createMountHmac(deps: { storage: Pick<Storage, 'get' | 'put'>; runtime: Pick<Runtime, 'randomBytes' | 'subtle' | 'now'> }): MountHmac {
  let key: Promise<CryptoKey> | null = null;

  const load = async (): Promise<CryptoKey> => {
    let record = await loadJson(deps.storage, HMAC_KEY_KEY, keyRecordSchema, 'AppRole HMAC key');
    if (record === null) {
      await saveJson(deps.storage, HMAC_KEY_KEY, {
        key: toBase64(deps.runtime.randomBytes(KEY_BYTES)),
        created_time: new Date(deps.runtime.now()).toISOString(),
      });
      // Read back rather than trust our copy: if another replica raced us, both converge on
      // whichever write storage kept.
      record = await loadJson(deps.storage, HMAC_KEY_KEY, keyRecordSchema, 'AppRole HMAC key');
    }
    const raw = record === null ? null : fromBase64(record.key);
    if (raw === null || raw.length !== KEY_BYTES) throw new GatewayError('ERR_INTERNAL', 'AppRole HMAC key is missing or malformed');
    try {
      return await deps.runtime.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    } finally {
      raw.fill(0);
    }
  };

  const current = (): Promise<CryptoKey> => {
    if (key === null) {
      const loading = load();
      key = loading;
      loading.catch(() => {
        if (key === loading) key = null;
      });
    }
    return key;
  };

  return {
    async hex(domain, value) {
      const mac = await deps.runtime.subtle.sign('HMAC', await current(), utf8(`${domain}\u0000${value}`));
      return toHex(new Uint8Array(mac));
    },
  };
}
