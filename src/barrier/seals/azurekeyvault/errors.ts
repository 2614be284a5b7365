/**
 * Azure Key Vault failures → Keygate's seal errors. Two outcomes only, as `KeyWrapper`
 * promises:
 *
 * - `ERR_UNSEAL_FAILED`, one opaque message, when this wrapped key cannot be opened with
 *   the configured key: Key Vault refused the wrapped data key (400: a tampered or foreign
 *   RSA-OAEP ciphertext), the recorded key version does not exist in the configured key, or
 *   (decided by the seal itself) the envelope is malformed, names another key, or fails
 *   AES-GCM authentication under the barrier's `aad`. Fail closed; retrying cannot help.
 * - `ERR_SEAL_UNAVAILABLE` for everything else: network failures, 5xx, throttling, timeouts,
 *   credentials, missing permissions, and the key's state (disabled, not permitted to wrap or
 *   unwrap, expired, or the key itself missing). These are operator-fixable without touching
 *   the data, so the gateway stays sealed, retries with backoff and logs the reason.
 *
 * Error messages stay coarse: a client learns that the key service could not be reached, or
 * that it refused to use the key, never which check failed (disabled, permissions, key
 * operations, …). The reason goes to the gateway log (`azureSealFailureSentence`), for the
 * operator who caused or can fix it.
 *
 * Key Vault's messages carry vault names, tenant ids, object ids, subscription paths and
 * request ids, so none of their text is kept: each failure gets Keygate's sentence, and the
 * SDK error is kept only as a `Sensitive` cause (../kms-errors.ts). Errors are recognised by
 * shape (`cloud/azure/errors.ts`: `name`, `statusCode`, the service's error and inner error
 * codes), not by class or message, so this file needs no SDK import and stays runtime-neutral.
 */

import { AZURE_CREDENTIAL_ERRORS, azureServiceErrorShape } from '../../../cloud/azure/index.js';
import type { GatewayError } from '../../../core/index.js';
import { kmsTransportSentences, sealUnavailable, unsealFailed } from '../kms-errors.js';
import type { KmsSealFailure } from '../kms-errors.js';

export { UNSEAL_FAILED_MESSAGE, unsealFailed } from '../kms-errors.js';

/** The seal operation that failed (named in messages and logs; it carries no data). */
export type AzureSealOperation = 'wrap' | 'unwrap' | 'validate';

/** The Key Vault call that failed. */
export type AzureSealCall = 'getKey' | 'wrapKey' | 'unwrapKey';

/** What went wrong, as far as the gateway needs to know. */
export type AzureSealFailure = KmsSealFailure | 'key_disabled' | 'key_operation_forbidden' | 'key_unsuitable';

/** Operator-facing sentences, for log lines. */
const SENTENCES: Record<Exclude<AzureSealFailure, 'refused'>, string> = {
  ...kmsTransportSentences('Azure Key Vault'),
  credentials: 'Azure Key Vault refused the credentials, or no credential could get a token',
  permission: 'Azure Key Vault denied permission to use the key; grant the Key Vault Crypto Service Encryption User role on it',
  key_disabled: 'the Azure Key Vault key version is disabled',
  key_operation_forbidden: 'the Azure Key Vault key does not permit wrapKey and unwrapKey (key_ops)',
  key_not_found: 'the Azure Key Vault key was not found; check key_name and the vault',
  key_unsuitable: 'the Azure Key Vault key is not an enabled, unexpired RSA key permitted to wrap and unwrap',
  bad_answer: 'Azure Key Vault answered without the expected fields',
};

const KEY_REFUSED = "Azure Key Vault refused to use the seal's key; the gateway log says why";

/** Client-facing sentences: transport failures by kind, every refusal alike. */
const PUBLIC_SENTENCES: Record<Exclude<AzureSealFailure, 'refused'>, string> = {
  throttled: SENTENCES.throttled,
  timeout: SENTENCES.timeout,
  unreachable: SENTENCES.unreachable,
  credentials: KEY_REFUSED,
  permission: KEY_REFUSED,
  key_disabled: KEY_REFUSED,
  key_operation_forbidden: KEY_REFUSED,
  key_not_found: KEY_REFUSED,
  key_unsuitable: KEY_REFUSED,
  rejected: KEY_REFUSED,
  bad_answer: SENTENCES.bad_answer,
};

/**
 * What `err`, thrown by the SDK's `call`, means for the seal. Only `unwrapKey` can be
 * `refused` (a 400 or other 4xx from it is about the wrapped bytes: Key Vault answers
 * `BadParameter` when OAEP decoding fails); a 404 is `key_not_found`, which the seal turns
 * into `refused` when the key exists without the recorded version.
 */
export function classifyAzureSealError(err: unknown, call: AzureSealCall): AzureSealFailure {
  const shape = azureServiceErrorShape(err);
  if (shape.name === 'AbortError' || shape.name === 'TimeoutError') return 'timeout';
  if (AZURE_CREDENTIAL_ERRORS.has(shape.name)) return 'credentials';
  const status = shape.status;
  if (status === undefined) return 'unreachable';
  if (status === 401) return 'credentials';
  if (status === 403) {
    if (shape.innerCode === 'KeyDisabled') return 'key_disabled';
    if (shape.innerCode === 'KeyOperationForbidden') return 'key_operation_forbidden';
    return 'permission';
  }
  if (status === 404) return 'key_not_found';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 429) return 'throttled';
  if (status >= 500) return 'unreachable';
  // 409 (an object in a soft-delete transition) may clear by itself: treat it as a service state.
  if (status === 409) return 'unreachable';
  return call === 'unwrapKey' ? 'refused' : 'rejected';
}

/**
 * A short, fixed identifier of `err` for logs: the service's inner or outer error code, or
 * the error's name, when it is a plain identifier; `other` otherwise, so an unexpected shape
 * can never put arbitrary text (a vault name, a request id) in a log line.
 */
export function azureErrorLabel(err: unknown): string {
  const shape = azureServiceErrorShape(err);
  const label = shape.innerCode || shape.code || shape.name;
  return /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(label) ? label : 'other';
}

/** The operator-facing sentence for `failure` (for the log line; names nothing). */
export function azureSealFailureSentence(failure: AzureSealFailure): string {
  return failure === 'refused' ? 'the wrapped key does not open with the configured key and this store\'s binding' : SENTENCES[failure];
}

/**
 * The error for `failure` in `operation`: `ERR_UNSEAL_FAILED` for `refused`, else
 * `ERR_SEAL_UNAVAILABLE` with Keygate's coarse client-facing sentence; `cause` is kept
 * wrapped in `Sensitive`.
 */
export function azureSealError(failure: AzureSealFailure, operation: AzureSealOperation, cause?: unknown): GatewayError {
  if (failure === 'refused') return unsealFailed();
  return sealUnavailable(`azurekeyvault seal: ${PUBLIC_SENTENCES[failure]} (${operation})`, cause);
}
