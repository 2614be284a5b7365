import { GatewayError, NotFoundError, PreconditionFailedError, ValidationError } from '../core/index.js';
import { ProviderError } from './types.js';

/**
 * A provider failure as the client sees it: a stable code and Keygate's own message (the
 * port already stripped cloud details). Throttling carries `Retry-After`. Anything that is
 * not a `ProviderError` passes through unchanged (it is already a `GatewayError`, or a bug).
 */
export function toGatewayError(err: unknown): unknown {
  if (!(err instanceof ProviderError)) return err;
  switch (err.kind) {
    case 'not_found':
    case 'deleted':
      return new NotFoundError(err.kind === 'deleted' ? 'the secret is scheduled for deletion (undelete restores it)' : 'no such secret');
    case 'conflict':
      return new GatewayError('ERR_CONFLICT', err.message);
    case 'precondition_failed':
      return new PreconditionFailedError(err.message);
    case 'invalid':
      return new ValidationError(err.message, []);
    case 'throttled': {
      const seconds = Math.max(1, Math.ceil((err.options.retryAfterMs ?? 1000) / 1000));
      return new GatewayError('ERR_UPSTREAM_THROTTLED', 'the secret store is throttling requests; retry later', { headers: { 'retry-after': String(seconds) } });
    }
    case 'unauthorized':
      return new GatewayError('ERR_UPSTREAM_AUTH', 'the secret store refused Keygate\'s credentials for this mount');
    case 'timeout':
      return new GatewayError('ERR_UPSTREAM_TIMEOUT', 'the secret store did not answer in time');
    case 'unavailable':
      return new GatewayError('ERR_UPSTREAM_UNAVAILABLE', err.message);
  }
}
