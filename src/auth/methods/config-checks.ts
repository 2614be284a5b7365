/** Checks a method's configuration write runs before storing it: CA bundles the runtime can use, public keys that import. */

import type { FieldIssue, Runtime } from '../../core/index.js';
import { importPublicKeyPem } from './signed-jwt/index.js';

/** Problems with a CA bundle the runtime must be able to trust (none when `caPem` is null). */
export function caIssues(runtime: Runtime, field: string, caPem: string | null): FieldIssue[] {
  if (caPem === null) return [];
  if (runtime.tlsFetch === undefined) return [{ field, reason: 'cannot be used: this runtime cannot trust a custom CA' }];
  try {
    runtime.tlsFetch({ caPem });
    return [];
  } catch {
    return [{ field, reason: 'is not a usable PEM CA bundle' }];
  }
}

/** Problems with static public keys: each must import for at least one of `algorithms`. */
export async function publicKeyIssues(pems: readonly string[], algorithms: readonly string[], field: string, reason: string): Promise<FieldIssue[]> {
  const issues: FieldIssue[] = [];
  for (const [index, pem] of pems.entries()) {
    let usable = false;
    for (const alg of algorithms) {
      if ((await importPublicKeyPem(pem, alg)) !== null) {
        usable = true;
        break;
      }
    }
    if (!usable) issues.push({ field: `${field}.${index}`, reason });
  }
  return issues;
}
