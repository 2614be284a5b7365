import type { Storage } from '../../src/core/index.js';
import { walkKeys } from '../../src/storage/index.js';

/** Every key and value under `prefix` in physical storage. */
export async function dumpStorage(storage: Storage, prefix = ''): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for await (const key of walkKeys(storage, prefix)) {
    const value = await storage.get(key);
    if (value !== null) out.set(key, value);
  }
  return out;
}

/** The ways a canary could appear in bytes: UTF-8, base64, base64url, hex. */
export function canaryForms(canary: string): Uint8Array[] {
  const bytes = new TextEncoder().encode(canary);
  const b64 = btoa(canary);
  const forms = [canary, b64, b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')];
  return forms.map((f) => new TextEncoder().encode(f));
}

/** True when `needle` occurs in `haystack`. */
export function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
