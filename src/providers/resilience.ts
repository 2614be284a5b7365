/**
 * Resilience written once for every provider (ARCHITECTURE.md, decision 5): a timeout per
 * call, bounded retries with full jitter on throttling and transient failures, a retry
 * budget so retries cannot multiply an outage, and a circuit breaker per mount so a dead
 * cloud fails fast while other mounts keep serving.
 */

import { deadline, sleep } from '../core/index.js';
import type { Runtime } from '../core/index.js';
import { ProviderError } from './types.js';
import type { SecretProvider } from './types.js';

export interface ResilienceSettings {
  /** Deadline of one attempt, ms. */
  timeoutMs: number;
  /** Attempts in all (1 = no retry). */
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Retries allowed as a share of calls (a token bucket), plus a floor per second. */
  retryBudgetRatio: number;
  retryBudgetFloorPerSecond: number;
  /** Consecutive transient failures that open the breaker, and how long it stays open. */
  breakerThreshold: number;
  breakerOpenMs: number;
}

export const DEFAULT_RESILIENCE: ResilienceSettings = {
  timeoutMs: 5000,
  maxAttempts: 3,
  backoffBaseMs: 100,
  backoffMaxMs: 2000,
  retryBudgetRatio: 0.2,
  retryBudgetFloorPerSecond: 5,
  breakerThreshold: 5,
  breakerOpenMs: 10_000,
};

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface ResilienceStatus {
  breaker: BreakerState;
  consecutiveFailures: number;
  retryTokens: number;
}

/** Methods that are safe to repeat after a transient failure (the cloud may have done the first one). */
const IDEMPOTENT = new Set(['validate', 'read', 'describe', 'list', 'putTags', 'removeTags', 'promote', 'discardPending', 'restore', 'destroyVersion']);

/**
 * Wraps a port. Every method: breaker check, then attempts each bounded by `timeoutMs` and
 * the caller's signal, retrying throttled calls (any method: the cloud did not act) and
 * unavailable/timeout failures (idempotent methods only) while the budget lasts.
 */
export function withResilience(
  port: SecretProvider,
  settings: ResilienceSettings,
  deps: { runtime: Pick<Runtime, 'now' | 'randomBytes' | 'logger'>; mount: string },
): SecretProvider & { status(): ResilienceStatus } {
  const { runtime } = deps;
  let breaker: BreakerState = 'closed';
  let openedAt = 0;
  let failures = 0;
  let tokens = settings.retryBudgetFloorPerSecond;
  let lastRefill = runtime.now();

  const refill = () => {
    const now = runtime.now();
    tokens = Math.min(tokens + ((now - lastRefill) / 1000) * settings.retryBudgetFloorPerSecond, settings.retryBudgetFloorPerSecond * 10 + 100);
    lastRefill = now;
  };
  const jitter = (attempt: number, hint: number | undefined) => {
    const cap = Math.min(settings.backoffMaxMs, settings.backoffBaseMs * 2 ** attempt);
    const random = new DataView(runtime.randomBytes(4).buffer).getUint32(0) / 2 ** 32;
    return Math.min(Math.max(random * cap, hint ?? 0), Math.max(settings.backoffMaxMs, hint ?? 0));
  };
  const call = async <T>(method: string, signal: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    if (breaker === 'open') {
      if (runtime.now() - openedAt < settings.breakerOpenMs) throw new ProviderError('unavailable', 'the secret store is failing; requests are paused (circuit open)');
      breaker = 'half-open';
    }
    refill();
    tokens += settings.retryBudgetRatio;
    for (let attempt = 0; ; attempt++) {
      // Released as soon as the attempt settles: no timer or signal outlives the call.
      const bounded = deadline(signal, settings.timeoutMs);
      const attemptSignal = bounded.signal;
      try {
        const result = await fn(attemptSignal).finally(() => bounded.release());
        failures = 0;
        breaker = 'closed';
        return result;
      } catch (err) {
        const error =
          err instanceof ProviderError
            ? err
            : attemptSignal.aborted
              ? new ProviderError('timeout', 'the secret store did not answer in time', { cause: err })
              : new ProviderError('unavailable', 'the secret store could not be reached', { cause: err });
        const transient = error.kind === 'unavailable' || error.kind === 'timeout';
        if (transient) {
          failures++;
          if (breaker === 'half-open' || failures >= settings.breakerThreshold) {
            if (breaker !== 'open') runtime.logger.warn({ mount: deps.mount, failures }, 'secret store failing: circuit opened');
            breaker = 'open';
            openedAt = runtime.now();
          }
        }
        const retryable = error.kind === 'throttled' || (transient && IDEMPOTENT.has(method));
        const canRetry = retryable && attempt + 1 < settings.maxAttempts && breaker !== 'open' && !signal.aborted && tokens >= 1;
        if (!canRetry) {
          if (retryable || transient) runtime.logger.warn({ mount: deps.mount, method, kind: error.kind, attempts: attempt + 1 }, 'secret store call failed');
          throw error;
        }
        tokens -= 1;
        await sleep(jitter(attempt, error.options.retryAfterMs), signal, () => new ProviderError('timeout', 'the call was cancelled'));
      }
    }
  };

  const wrapped: SecretProvider & { status(): ResilienceStatus } = {
    type: port.type,
    capabilities: port.capabilities,
    validate: (signal) => call('validate', signal, (s) => port.validate(s)),
    read: (name, selector, signal) => call('read', signal, (s) => port.read(name, selector, s)),
    describe: (name, signal) => call('describe', signal, (s) => port.describe(name, s)),
    create: (name, value, tags, signal) => call('create', signal, (s) => port.create(name, value, tags, s)),
    addVersion: (name, value, opts, signal) => call('addVersion', signal, (s) => port.addVersion(name, value, opts, s)),
    promote: (name, id, signal) => call('promote', signal, (s) => port.promote(name, id, s)),
    discardPending: (name, id, signal) => call('discardPending', signal, (s) => port.discardPending(name, id, s)),
    delete: (name, opts, signal) => call('delete', signal, (s) => port.delete(name, opts, s)),
    restore: (name, signal) => call('restore', signal, (s) => port.restore(name, s)),
    list: (opts, signal) => call('list', signal, (s) => port.list(opts, s)),
    putTags: (name, tags, signal) => call('putTags', signal, (s) => port.putTags(name, tags, s)),
    removeTags: (name, keys, signal) => call('removeTags', signal, (s) => port.removeTags(name, keys, s)),
    status: () => ({ breaker, consecutiveFailures: failures, retryTokens: Math.floor(tokens) }),
    ...(port.close === undefined ? {} : { close: () => port.close?.() ?? Promise.resolve() }),
  };
  const destroy = port.destroyVersion;
  if (destroy !== undefined) wrapped.destroyVersion = (name, id, signal) => call('destroyVersion', signal, (s) => destroy.call(port, name, id, s));
  return wrapped;
}
