/**
 * Preloaded into the Keygate process of the bench's RSS measurement (`--expose-gc --import`):
 * on SIGUSR2 it runs a full garbage collection and prints `bench-memory {…}` with
 * `process.memoryUsage()`, so the bench reads memory after GC without Keygate exposing any
 * such hook itself.
 */

process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  process.stdout.write(`bench-memory ${JSON.stringify({ gc: gc !== undefined, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers })}\n`);
});
