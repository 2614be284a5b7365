/**
 * Azure SDK failures → `ProviderError`. The SDK's own message is never used: Key Vault
 * messages carry vault names, tenant ids, object ids, subscription paths and request ids.
 * Each kind gets Keygate's own sentence, and the SDK error is kept only as `cause` (never
 * logged or returned).
 *
 * Errors are recognised by shape (`cloud/azure/errors.ts`: `name`, `statusCode`, `code`, the
 * service's inner error code), not by class or message text, so this file needs no SDK import
 * and stays runtime-neutral.
 */

import { AZURE_CREDENTIAL_ERRORS, azureServiceErrorShape } from '../../cloud/azure/index.js';
import type { AzureServiceErrorShape } from '../../cloud/azure/index.js';
import { NETWORK_CODES as SOCKET_ERROR_CODES, field } from '../../cloud/index.js';
import { ProviderError } from '../types.js';
import type { ProviderErrorKind } from '../types.js';

const SENTENCES: Record<ProviderErrorKind, string> = {
  not_found: 'Azure Key Vault has no such secret or version',
  conflict: 'Azure Key Vault refused the change because of the secret\'s current state',
  precondition_failed: 'the current version in Azure Key Vault is not the expected one',
  invalid: 'Azure Key Vault refused the request as invalid',
  throttled: 'Azure Key Vault is throttling requests',
  unauthorized: 'Azure Key Vault refused the credentials or permissions of this mount',
  unavailable: 'Azure Key Vault could not be reached or failed',
  timeout: 'Azure Key Vault did not answer in time',
  deleted: 'the secret is deleted in Azure Key Vault (recoverable); restore or purge it first',
};

/** Key Vault's inner error codes for an object in a soft-delete transition: the same call may work shortly. */
const TRANSITIONAL = new Set(['ObjectIsBeingDeleted', 'ObjectIsBeingRecovered']);
/** Socket error codes, and the Azure pipeline's own for a request that could not be sent. */
const NETWORK_CODES: ReadonlySet<string> = new Set([...SOCKET_ERROR_CODES, 'REQUEST_SEND_ERROR']);

/** What Keygate reads from an SDK error (never its message), with the retry hints of a throttled answer. */
export interface AzureErrorShape extends AzureServiceErrorShape {
  retryAfter: string | undefined;
  retryAfterMs: string | undefined;
}

function header(err: unknown, name: string): string | undefined {
  const headers = field(field(err, 'response'), 'headers');
  const get = field(headers, 'get');
  if (typeof get !== 'function') return undefined;
  const value: unknown = Reflect.apply(get, headers, [name]);
  return typeof value === 'string' ? value : undefined;
}

/** Reads the parts of an SDK error that classification uses. */
export function shapeOfAzureError(err: unknown): AzureErrorShape {
  return {
    ...azureServiceErrorShape(err),
    retryAfter: header(err, 'retry-after'),
    retryAfterMs: header(err, 'x-ms-retry-after-ms') ?? header(err, 'retry-after-ms'),
  };
}

/** Milliseconds from `Retry-After` (seconds or an HTTP date) or `x-ms-retry-after-ms`, bounded to 5 minutes. */
export function retryAfterMsOf(shape: Pick<AzureErrorShape, 'retryAfter' | 'retryAfterMs'>, now: number): number | undefined {
  let ms: number | undefined;
  if (shape.retryAfterMs !== undefined && /^[0-9]{1,9}$/.test(shape.retryAfterMs.trim())) ms = Number(shape.retryAfterMs.trim());
  else if (shape.retryAfter !== undefined) {
    const trimmed = shape.retryAfter.trim();
    if (/^[0-9]{1,6}$/.test(trimmed)) ms = Number(trimmed) * 1000;
    else {
      const at = Date.parse(trimmed);
      if (!Number.isNaN(at)) ms = at - now;
    }
  }
  return ms === undefined ? undefined : Math.min(Math.max(ms, 0), 300_000);
}

/** The kind for an SDK (or credential, or abort) error, by its shape. */
export function classifyAzureError(shape: AzureErrorShape): { kind: ProviderErrorKind; retryable: boolean } {
  if (shape.name === 'AbortError' || shape.name === 'TimeoutError') return { kind: 'timeout', retryable: true };
  if (AZURE_CREDENTIAL_ERRORS.has(shape.name)) return { kind: 'unauthorized', retryable: false };
  const status = shape.status;
  if (status === undefined) return { kind: 'unavailable', retryable: NETWORK_CODES.has(shape.code) || shape.name === 'RestError' };
  if (status === 400) return { kind: 'invalid', retryable: false };
  if (status === 401) return { kind: 'unauthorized', retryable: false };
  if (status === 403) return shape.innerCode === 'SecretDisabled' ? { kind: 'conflict', retryable: false } : { kind: 'unauthorized', retryable: false };
  if (status === 404) return { kind: 'not_found', retryable: false };
  if (status === 408) return { kind: 'timeout', retryable: true };
  if (status === 409) {
    if (shape.innerCode === 'ObjectIsDeletedButRecoverable') return { kind: 'deleted', retryable: false };
    return { kind: 'conflict', retryable: TRANSITIONAL.has(shape.innerCode) };
  }
  if (status === 412) return { kind: 'precondition_failed', retryable: false };
  if (status === 429) return { kind: 'throttled', retryable: true };
  if (status >= 500) return { kind: status === 504 ? 'timeout' : 'unavailable', retryable: true };
  return { kind: 'invalid', retryable: false };
}

/** Keygate's sentence for a kind, with a note for the cases a client can act on. */
function sentence(kind: ProviderErrorKind, shape: AzureErrorShape): string {
  if (kind === 'conflict' && shape.innerCode === 'SecretDisabled') return 'the version is disabled in Azure Key Vault';
  if (kind === 'conflict' && TRANSITIONAL.has(shape.innerCode)) return 'the secret is being deleted or recovered in Azure Key Vault; retry shortly';
  return SENTENCES[kind];
}

/**
 * Converts anything an Azure call threw into a `ProviderError` with Keygate's own message.
 * A `ProviderError` passes through unchanged.
 */
export function toProviderError(err: unknown, now: number = Date.now()): ProviderError {
  if (err instanceof ProviderError) return err;
  const shape = shapeOfAzureError(err);
  const { kind, retryable } = classifyAzureError(shape);
  const retryAfterMs = kind === 'throttled' ? retryAfterMsOf(shape, now) : undefined;
  return new ProviderError(kind, sentence(kind, shape), { cause: err, retryable, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
}

/** A `ProviderError` of `kind` in Keygate's words (for failures the port detects itself). */
export function azureProviderError(kind: ProviderErrorKind, message: string = SENTENCES[kind]): ProviderError {
  return new ProviderError(kind, message);
}
