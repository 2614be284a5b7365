/**
 * The one place errors become HTTP responses (ARCHITECTURE.md, decision 7). Status comes
 * from the error's code; messages of unexposed errors are replaced by a generic one, so an
 * internal failure never leaks a driver message, a path on disk or a value.
 */

import { GatewayError, isGatewayError } from '../core/index.js';
import type { ErrorCode, FieldIssue } from '../core/index.js';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; request_id: string; details?: FieldIssue[] };
}

export interface HttpError {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
}

const GENERIC_MESSAGES: Partial<Record<ErrorCode, string>> = {
  ERR_INTERNAL: 'internal error',
  ERR_DECRYPTION_FAILED: 'stored data failed integrity checks',
  ERR_STORAGE_UNAVAILABLE: 'storage is unavailable',
};

/** Maps any thrown value to a status, a JSON error body and headers. Unknown errors become opaque 500s. */
export function toHttpError(err: unknown, requestId: string): HttpError {
  const error = isGatewayError(err) ? err : new GatewayError('ERR_INTERNAL', 'internal error', { cause: err });
  const message = error.expose ? error.message : (GENERIC_MESSAGES[error.code] ?? 'internal error');
  const body: ErrorBody = { error: { code: error.code, message, request_id: requestId } };
  if (error.expose && error.details !== undefined && error.details.length > 0) body.error.details = error.details;
  return { status: error.status, body, headers: { ...(error.headers ?? {}) } };
}
