/**
 * The error catalogue: every failure Keygate reports has a stable code, a status and an
 * `expose` flag. `gateway/http-errors.ts` is the one place that turns these into HTTP
 * responses; nothing maps errors by matching message strings.
 */

/** Stable error codes, with the HTTP status each maps to and whether its message may reach a client. */
export const ERROR_CATALOGUE = {
  ERR_BAD_REQUEST: { status: 400, expose: true },
  ERR_VALIDATION: { status: 400, expose: true },
  ERR_INVALID_JSON: { status: 400, expose: true },
  ERR_JSON_TOO_DEEP: { status: 400, expose: true },
  ERR_PATH_INVALID: { status: 400, expose: true },
  ERR_PATH_TOO_LONG: { status: 400, expose: true },
  ERR_UNSEAL_FAILED: { status: 400, expose: true },
  ERR_SHARES_INVALID: { status: 400, expose: true },
  ERR_UNAUTHENTICATED: { status: 401, expose: true },
  ERR_PERMISSION_DENIED: { status: 403, expose: true },
  ERR_NOT_FOUND: { status: 404, expose: true },
  ERR_UNSUPPORTED_PATH: { status: 404, expose: true },
  ERR_METHOD_NOT_ALLOWED: { status: 405, expose: true },
  ERR_CONFLICT: { status: 409, expose: true },
  ERR_PRECONDITION_FAILED: { status: 412, expose: true },
  ERR_BODY_TOO_LARGE: { status: 413, expose: true },
  ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, expose: true },
  ERR_PRECONDITION_REQUIRED: { status: 428, expose: true },
  ERR_RATE_LIMITED: { status: 429, expose: true },
  ERR_UPSTREAM_THROTTLED: { status: 429, expose: true },
  ERR_INTERNAL: { status: 500, expose: false },
  ERR_DECRYPTION_FAILED: { status: 500, expose: false },
  ERR_UPSTREAM_AUTH: { status: 502, expose: true },
  ERR_UPSTREAM_ROTATION_FAILED: { status: 502, expose: true },
  ERR_SEALED: { status: 503, expose: true },
  ERR_AUDIT_UNAVAILABLE: { status: 503, expose: true },
  ERR_SEAL_UNAVAILABLE: { status: 503, expose: true },
  ERR_NOT_INITIALIZED: { status: 503, expose: true },
  ERR_STORAGE_UNAVAILABLE: { status: 503, expose: false },
  ERR_UPSTREAM_UNAVAILABLE: { status: 503, expose: true },
  ERR_UPSTREAM_TIMEOUT: { status: 504, expose: true },
} as const satisfies Record<string, { status: number; expose: boolean }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** One problem with one input field: `field` names it (a dotted path), `reason` says what is wrong, never echoing the value. */
export interface FieldIssue {
  field: string;
  reason: string;
}

export interface GatewayErrorOptions {
  cause?: unknown;
  details?: FieldIssue[];
  /** Extra response headers, e.g. `Allow` on 405. */
  headers?: Record<string, string>;
}

/**
 * Base of every error Keygate raises on purpose. `status` and `expose` come from the
 * catalogue, never from the call site, so a code always means the same thing.
 */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly expose: boolean;
  readonly details: FieldIssue[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.expose = ERROR_CATALOGUE[code].expose;
    this.details = options.details;
    this.headers = options.headers;
  }
}

/** 400: an input failed validation; `details` lists the fields and reasons. */
export class ValidationError extends GatewayError {
  constructor(message: string, details: FieldIssue[] = [], options: Omit<GatewayErrorOptions, 'details'> = {}) {
    super('ERR_VALIDATION', message, { ...options, details });
    this.name = 'ValidationError';
  }
}

/** 404: the addressed secret, version or object does not exist (or is deleted/destroyed). */
export class NotFoundError extends GatewayError {
  constructor(message = 'not found', options?: GatewayErrorOptions) {
    super('ERR_NOT_FOUND', message, options);
    this.name = 'NotFoundError';
  }
}

/** 503: the barrier is sealed; no secret path can be served. */
export class SealedError extends GatewayError {
  constructor(message = 'Keygate is sealed', options?: GatewayErrorOptions) {
    super('ERR_SEALED', message, options);
    this.name = 'SealedError';
  }
}

/** 401: missing, malformed, unknown or expired credentials. Never says which. */
export class UnauthenticatedError extends GatewayError {
  constructor(options?: GatewayErrorOptions) {
    super('ERR_UNAUTHENTICATED', 'missing or invalid client token', options);
    this.name = 'UnauthenticatedError';
  }
}

/** 403: authenticated, but not allowed to do this. */
export class PermissionDeniedError extends GatewayError {
  constructor(message = 'permission denied', options?: GatewayErrorOptions) {
    super('ERR_PERMISSION_DENIED', message, options);
    this.name = 'PermissionDeniedError';
  }
}

/** 412: an `If-Match`, `If-None-Match` or `cas` condition did not hold. */
export class PreconditionFailedError extends GatewayError {
  constructor(message = 'precondition failed', options?: GatewayErrorOptions) {
    super('ERR_PRECONDITION_FAILED', message, options);
    this.name = 'PreconditionFailedError';
  }
}

/**
 * 500, opaque: stored ciphertext failed authentication or could not be decrypted. Every
 * decryption failure is this one error, so a caller learns nothing about why.
 */
export class DecryptionError extends GatewayError {
  constructor(options?: GatewayErrorOptions) {
    super('ERR_DECRYPTION_FAILED', 'stored data failed integrity checks', options);
    this.name = 'DecryptionError';
  }
}

/** True when `err` is a GatewayError, optionally of the given code. */
export function isGatewayError(err: unknown, code?: ErrorCode): err is GatewayError {
  return err instanceof GatewayError && (code === undefined || err.code === code);
}
