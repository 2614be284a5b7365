/**
 * What every HTTP entry does around a request, whichever carries it (the Hono app, or the
 * Node fast path for secret reads): give it a request id, take the raw path and the
 * client's address and refuse dot segments, map a failure to an audited error answer, and
 * write the access log line.
 */

import { GatewayError, hasDotSegment, isGatewayError } from '../core/index.js';
import { createClientAddressResolver } from './client-address.js';
import { toHttpError } from './http-errors.js';
import type { KeygateCore } from './keygate.js';
import { rawPathOf } from './request-input.js';
import { jsonAnswer } from './respond.js';
import type { Answer } from './respond.js';

/** One request as the entries track it. `rawPath` and `clientAddress` stay empty when the target was refused. */
export interface Exchange {
  requestId: string;
  started: number;
  method: string;
  rawPath: string;
  clientAddress: string | null;
}

/** Where a request came from, as the entry sees it. */
export interface ExchangeTarget {
  /** The request URL (WHATWG-normalised on Hono; the raw target on the fast path). */
  url: string;
  /** The request target exactly as received, when the entry has it (Node's `IncomingMessage.url`). */
  rawUrl: string | undefined;
  remoteAddress: string | null;
  forwardedFor: string | null;
}

export interface Exchanges {
  /** Starts tracking a request: its id and start time. Never throws. */
  open(method: string): Exchange;
  /**
   * Takes the raw path and the client's address. Throws `ERR_PATH_INVALID` for "." and ".."
   * segments (the router may have resolved them: refuse, never resolve) and
   * `ERR_PATH_TOO_LONG`.
   */
  admit(exchange: Exchange, target: ExchangeTarget): void;
  /**
   * The answer for a failure: the error mapped to its status and code, logged when it is a
   * 5xx, and audited (denials and bad tokens are what a SIEM watches for). An audit failure
   * turns the answer into 503, never into an unaudited one.
   */
  failure(exchange: Exchange, err: unknown): Promise<Answer>;
  /** The access log line (5xx always; the rest when `log.access` is on). */
  finish(exchange: Exchange, status: number): void;
}

export function createExchanges(core: KeygateCore): Exchanges {
  const { runtime } = core;
  const log = runtime.logger;
  const clientAddressOf = createClientAddressResolver(core.config.trusted_proxies);
  return {
    open(method) {
      return { requestId: runtime.randomUUID(), started: runtime.now(), method, rawPath: '', clientAddress: null };
    },

    admit(exchange, target) {
      exchange.rawPath = rawPathOf(target.url, target.rawUrl);
      exchange.clientAddress = clientAddressOf(target.remoteAddress, target.forwardedFor);
      if (hasDotSegment(exchange.rawPath)) {
        throw new GatewayError('ERR_PATH_INVALID', 'invalid path: "." and ".." segments are not allowed');
      }
    },

    async failure(exchange, err) {
      const { requestId } = exchange;
      if (!isGatewayError(err) || err.status >= 500) {
        // Log what an operator needs, never a request body (no handler puts one in an error).
        log.error({ request_id: requestId, code: isGatewayError(err) ? err.code : 'ERR_INTERNAL', err: describeError(err) }, 'error');
      }
      let mapped = toHttpError(err, requestId);
      if (!isGatewayError(err, 'ERR_AUDIT_UNAVAILABLE') && !isGatewayError(err, 'ERR_SEALED')) {
        try {
          await core.audit.logFailure(requestId, {
            time: runtime.now(),
            operation: exchange.method.toLowerCase().slice(0, 16),
            path: exchange.rawPath.replace(/^\/api\/v1\/(secrets\/)?/, '').slice(0, 1024),
            mount: null,
            clientAddress: exchange.clientAddress,
            principal: null,
            requestData: {},
            params: {},
            status: mapped.status,
            error: mapped.body.error.code,
          });
        } catch (auditErr) {
          mapped = toHttpError(auditErr, requestId);
        }
      }
      return jsonAnswer(mapped.status, mapped.body, mapped.headers);
    },

    finish(exchange, status) {
      if (!core.config.log.access && status < 500) return;
      const entry = {
        request_id: exchange.requestId,
        method: exchange.method.slice(0, 16),
        path: exchange.rawPath.slice(0, 256),
        status,
        duration_ms: runtime.now() - exchange.started,
      };
      if (status >= 500) log.warn(entry, 'request failed');
      else log.info(entry, 'request');
    },
  };
}

function describeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const cause = err.cause instanceof Error ? { name: err.cause.name, message: err.cause.message } : undefined;
  return { name: err.name, message: err.message, stack: err.stack, cause };
}
