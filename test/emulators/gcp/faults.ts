/**
 * Fault injection for the GCP double: throttling (RESOURCE_EXHAUSTED with a RetryInfo hint),
 * unavailability, arbitrary status codes and added latency, for some or all methods, a
 * number of times or until cleared. Also counts calls and client cancellations, so tests can
 * prove that retries happened (or did not) and that an aborted call really was cancelled.
 */

import type { StatusName } from './status.js';
import { RpcError } from './status.js';

export interface FaultRule {
  /** Method names (`AccessSecretVersion`) or `Service/Method`; every method when absent. */
  methods?: readonly string[];
  /** Answer with this status instead of running the handler. */
  code?: StatusName;
  /** The status message (put canaries here to test sanitising). */
  message?: string;
  /** With `RESOURCE_EXHAUSTED`: the `RetryInfo.retry_delay` to send. */
  retryDelayMs?: number;
  /** Wait this long before answering (the client may cancel meanwhile). */
  delayMs?: number;
  /** How many calls the rule applies to; unlimited when absent. */
  times?: number;
}

/** Live fault settings and call statistics of one double. */
export interface Faults {
  /** Adds a rule; rules are tried in the order added, the first match applies. */
  add(rule: FaultRule): void;
  /** Every matching call fails with RESOURCE_EXHAUSTED and a retry hint. */
  throttle(opts?: { retryDelayMs?: number; times?: number; methods?: readonly string[]; message?: string }): void;
  /** Every matching call fails with UNAVAILABLE. */
  unavailable(opts?: { times?: number; methods?: readonly string[]; message?: string }): void;
  /** Every matching call waits `delayMs` first. */
  latency(delayMs: number, opts?: { times?: number; methods?: readonly string[] }): void;
  /** Removes every rule (statistics are kept). */
  clear(): void;
  /** Calls received, by method name. */
  readonly calls: Record<string, number>;
  /** Calls the client cancelled before they were answered, by method name. */
  readonly cancelled: Record<string, number>;
}

/** The internal side: what the server asks before running a handler. */
export interface FaultInjector extends Faults {
  /** Counts the call and returns the rule that applies to it (consuming one of its `times`), if any. */
  take(service: string, method: string): FaultRule | null;
  noteCancelled(method: string): void;
}

/** A fresh fault injector with no rules. */
export function createFaults(): FaultInjector {
  let rules: { rule: FaultRule; left: number }[] = [];
  const calls: Record<string, number> = {};
  const cancelled: Record<string, number> = {};
  const matches = (rule: FaultRule, service: string, method: string) =>
    rule.methods === undefined || rule.methods.includes(method) || rule.methods.includes(`${service}/${method}`);
  const add = (rule: FaultRule) => {
    rules.push({ rule, left: rule.times ?? Number.POSITIVE_INFINITY });
  };
  return {
    calls,
    cancelled,
    add,
    throttle(opts = {}) {
      add({ ...opts, code: 'RESOURCE_EXHAUSTED', message: opts.message ?? 'Quota exceeded for quota metric', retryDelayMs: opts.retryDelayMs ?? 1000 });
    },
    unavailable(opts = {}) {
      add({ ...opts, code: 'UNAVAILABLE', message: opts.message ?? 'The service is currently unavailable.' });
    },
    latency(delayMs, opts = {}) {
      add({ ...opts, delayMs });
    },
    clear() {
      rules = [];
    },
    take(service, method) {
      calls[method] = (calls[method] ?? 0) + 1;
      const entry = rules.find((r) => r.left > 0 && matches(r.rule, service, method));
      if (entry === undefined) return null;
      entry.left -= 1;
      return entry.rule;
    },
    noteCancelled(method) {
      cancelled[method] = (cancelled[method] ?? 0) + 1;
    },
  };
}

/** The error a fault rule answers with, or null when it only adds latency. */
export function faultError(rule: FaultRule): RpcError | null {
  if (rule.code === undefined) return null;
  return new RpcError(rule.code, rule.message ?? `injected ${rule.code}`, rule.code === 'RESOURCE_EXHAUSTED' ? rule.retryDelayMs : undefined);
}
