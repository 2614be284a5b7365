/**
 * gRPC status → `ProviderError`. Google's status messages and details name projects, secret
 * resource names and sometimes principals, so none of that text is kept: each kind gets
 * Keygate's own message, the retry hint is read from the structured `google.rpc.RetryInfo`
 * detail only, and the original error stays in `cause`, wrapped in `Sensitive` so that no
 * logger or `JSON.stringify` of the `ProviderError` can print Google's text by accident.
 */

import { GRPC_STATUS } from '../../cloud/gcp/index.js';
import { Sensitive } from '../../core/index.js';
import { ProviderError } from '../types.js';
import type { ProviderErrorKind } from '../types.js';

export { GRPC_STATUS } from '../../cloud/gcp/index.js';

const MESSAGES: Record<ProviderErrorKind, string> = {
  not_found: 'the secret or version does not exist in GCP Secret Manager',
  conflict: 'the secret already exists in GCP Secret Manager',
  precondition_failed: 'the secret changed in GCP Secret Manager since it was read (etag or state mismatch)',
  invalid: 'GCP Secret Manager refused the request as invalid',
  throttled: 'GCP Secret Manager is throttling requests',
  unauthorized: 'GCP Secret Manager refused the credentials or the permission',
  unavailable: 'GCP Secret Manager is unavailable',
  timeout: 'the GCP Secret Manager call timed out or was cancelled',
  deleted: 'the secret is deleted in GCP Secret Manager',
};

/** The kind of failure a gRPC status code means for Keygate, and whether retrying may help. */
export function kindForStatus(code: number): { kind: ProviderErrorKind; retryable: boolean } {
  switch (code) {
    case GRPC_STATUS.NOT_FOUND:
      return { kind: 'not_found', retryable: false };
    case GRPC_STATUS.ALREADY_EXISTS:
      return { kind: 'conflict', retryable: false };
    case GRPC_STATUS.FAILED_PRECONDITION:
    case GRPC_STATUS.ABORTED:
      return { kind: 'precondition_failed', retryable: false };
    case GRPC_STATUS.INVALID_ARGUMENT:
    case GRPC_STATUS.OUT_OF_RANGE:
      return { kind: 'invalid', retryable: false };
    case GRPC_STATUS.RESOURCE_EXHAUSTED:
      return { kind: 'throttled', retryable: true };
    case GRPC_STATUS.UNAUTHENTICATED:
    case GRPC_STATUS.PERMISSION_DENIED:
      return { kind: 'unauthorized', retryable: false };
    case GRPC_STATUS.DEADLINE_EXCEEDED:
      return { kind: 'timeout', retryable: true };
    case GRPC_STATUS.CANCELLED:
      return { kind: 'timeout', retryable: false };
    case GRPC_STATUS.UNAVAILABLE:
    case GRPC_STATUS.INTERNAL:
    case GRPC_STATUS.UNKNOWN:
      return { kind: 'unavailable', retryable: true };
    default:
      // UNIMPLEMENTED (an endpoint that is not Secret Manager), DATA_LOSS, anything new.
      return { kind: 'unavailable', retryable: false };
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** A protobuf int64 as the client library hands it over: number, decimal string or Long. */
function int64(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  if (isRecord(v) && typeof v.low === 'number' && typeof v.high === 'number') return v.high * 2 ** 32 + (v.low >>> 0);
  return null;
}

/**
 * The server's retry hint in milliseconds: `google.rpc.RetryInfo.retry_delay` from the
 * decoded status details (`statusDetails`), or null when there is none.
 */
export function retryDelayMs(err: unknown): number | null {
  if (!isRecord(err) || !Array.isArray(err.statusDetails)) return null;
  for (const detail of err.statusDetails) {
    if (!isRecord(detail)) continue;
    const delay = detail.retryDelay ?? detail.retry_delay;
    if (!isRecord(delay)) continue;
    const seconds = int64(delay.seconds) ?? 0;
    const nanos = int64(delay.nanos) ?? 0;
    const ms = Math.ceil(seconds * 1000 + nanos / 1e6);
    if (ms >= 0 && Number.isFinite(ms)) return ms;
  }
  return null;
}

/**
 * Turns anything a Secret Manager call threw into a `ProviderError` with Keygate's own
 * message. A `ProviderError` passes through; an error without a gRPC code (a credentials
 * library failure, a bug) becomes `unavailable`, not retryable.
 */
export function toProviderError(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const code = isRecord(err) && typeof err.code === 'number' ? err.code : null;
  const cause = new Sensitive(err);
  if (code === null) return new ProviderError('unavailable', 'the GCP Secret Manager call failed', { cause, retryable: false });
  const { kind, retryable } = kindForStatus(code);
  const retryAfter = kind === 'throttled' ? retryDelayMs(err) : null;
  return new ProviderError(kind, MESSAGES[kind], { cause, retryable, ...(retryAfter === null ? {} : { retryAfterMs: retryAfter }) });
}

/** The gRPC status code behind an error (a raw gRPC error, or a `ProviderError` made by `toProviderError`); null if none. */
export function grpcCode(err: unknown): number | null {
  let inner: unknown = err;
  if (inner instanceof ProviderError) inner = inner.cause;
  if (inner instanceof Sensitive) inner = inner.reveal();
  return isRecord(inner) && typeof inner.code === 'number' ? inner.code : null;
}
