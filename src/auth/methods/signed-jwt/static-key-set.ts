/**
 * Locally configured public keys (PEM: SPKI `PUBLIC KEY` or an X.509 `CERTIFICATE`). A key
 * is imported lazily for the algorithm a token names and cached; a PEM whose key type does
 * not fit that algorithm is skipped for it.
 */

import { importSPKI, importX509 } from 'jose';
import type { CryptoKey } from 'jose';
import { publicKeyPemKind } from '../pem.js';

/** Keys for each algorithm, imported on first use. */
export interface StaticKeySet {
  /** The keys usable with `alg`, in configuration order; empty when none fits. */
  keysFor(alg: string): Promise<CryptoKey[]>;
}

/** Imports `pem` for `alg`; null when it is not a key of a type that fits. */
export async function importPublicKeyPem(pem: string, alg: string): Promise<CryptoKey | null> {
  const kind = publicKeyPemKind(pem);
  try {
    if (kind === 'spki') return await importSPKI(pem, alg);
    if (kind === 'x509') return await importX509(pem, alg);
  } catch {
    return null;
  }
  return null;
}

/** A `StaticKeySet` over `pems`. */
export function createStaticKeySet(pems: readonly string[]): StaticKeySet {
  const cache = new Map<string, Promise<CryptoKey[]>>();
  return {
    keysFor(alg) {
      let keys = cache.get(alg);
      if (keys === undefined) {
        keys = Promise.all(pems.map((pem) => importPublicKeyPem(pem, alg))).then((all) => all.filter((k): k is CryptoKey => k !== null));
        cache.set(alg, keys);
      }
      return keys;
    },
  };
}
