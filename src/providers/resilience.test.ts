import { describe, expect, it } from 'vitest';
import { Sensitive, createWebRuntime } from '../core/index.js';
import { createMemoryProvider } from './memory-provider.js';
import { DEFAULT_RESILIENCE, withResilience } from './resilience.js';

const setup = (overrides: Partial<typeof DEFAULT_RESILIENCE> = {}) => {
  const port = createMemoryProvider();
  const wrapped = withResilience(port, { ...DEFAULT_RESILIENCE, backoffBaseMs: 1, backoffMaxMs: 5, ...overrides }, { runtime: createWebRuntime(), mount: 'test/' });
  return { port, wrapped };
};
const signal = () => AbortSignal.timeout(5000);

describe('resilience', () => {
  it('retries throttled and transient reads up to max attempts, then gives up with the last error', async () => {
    const { port, wrapped } = setup({ maxAttempts: 3 });
    port.faults.failWith = 'unavailable';
    await expect(wrapped.read('x', { stage: 'current' }, signal())).rejects.toMatchObject({ kind: 'unavailable' });
    expect(port.faults.calls.read).toBe(3);
  });

  it('retries a non-idempotent write only when throttled (the store did nothing), not after a transient failure', async () => {
    const { port, wrapped } = setup({ maxAttempts: 3 });
    port.faults.failWith = 'unavailable';
    await expect(wrapped.create('x', { kind: 'text', text: new Sensitive('v') }, {}, signal())).rejects.toMatchObject({ kind: 'unavailable' });
    expect(port.faults.calls.create).toBe(1);
    port.faults.failWith = 'throttled';
    await expect(wrapped.create('y', { kind: 'text', text: new Sensitive('v') }, {}, signal())).rejects.toMatchObject({ kind: 'throttled' });
    expect(port.faults.calls.create).toBe(4);
  });

  it('does not retry what cannot succeed (auth failures)', async () => {
    const { port, wrapped } = setup();
    port.faults.failWith = 'unauthorized';
    await expect(wrapped.validate(signal())).rejects.toMatchObject({ kind: 'unauthorized' });
    expect(port.faults.calls.validate).toBe(1);
  });

  it('spends a bounded retry budget, so a storm of failures is not multiplied', async () => {
    const { port, wrapped } = setup({ maxAttempts: 5, retryBudgetRatio: 0, retryBudgetFloorPerSecond: 2, breakerThreshold: 1000 });
    port.faults.failWith = 'throttled';
    for (let i = 0; i < 20; i++) await wrapped.read('x', { stage: 'current' }, signal()).catch(() => undefined);
    // 20 first attempts, plus retries limited by the budget (a floor of 2/s, a few tokens to start).
    expect(port.faults.calls.read ?? 0).toBeLessThan(20 + 10);
  });

  it('opens the circuit after consecutive transient failures, fails fast, then half-opens after the pause', async () => {
    let now = 0;
    const port = createMemoryProvider();
    const wrapped = withResilience(port, { ...DEFAULT_RESILIENCE, maxAttempts: 1, breakerThreshold: 2, breakerOpenMs: 1000 }, { runtime: createWebRuntime({ now: () => now }), mount: 'm/' });
    port.faults.failWith = 'unavailable';
    await wrapped.read('x', { stage: 'current' }, signal()).catch(() => undefined);
    await wrapped.read('x', { stage: 'current' }, signal()).catch(() => undefined);
    expect(wrapped.status().breaker).toBe('open');
    await expect(wrapped.read('x', { stage: 'current' }, signal())).rejects.toMatchObject({ kind: 'unavailable' });
    expect(port.faults.calls.read).toBe(2);
    now += 1500;
    port.faults.failWith = null;
    expect(await wrapped.read('x', { stage: 'current' }, signal())).toBeNull();
    expect(wrapped.status().breaker).toBe('closed');
  });

  it('bounds each attempt by the timeout', async () => {
    const { port, wrapped } = setup({ timeoutMs: 50, maxAttempts: 1 });
    port.faults.delayMs = 5000;
    const started = Date.now();
    await expect(wrapped.read('x', { stage: 'current' }, signal())).rejects.toMatchObject({ kind: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
