/**
 * An open-loop load generator at a fixed rate, for "p99 at 2,000 req/s". Request i is due at
 * start + i / rate; it is sent then (over at most `connections` keep-alive sockets; when all
 * are busy it waits for one) and its latency is measured from when it was due, so a stall
 * shows up in the tail instead of silently lowering the rate (no coordinated omission).
 *
 * Why not autocannon's `overallRate`: autocannon lets each connection send its share of the
 * second back to back and then pauses it until the next second, so the load arrives as one
 * burst per second, and its latency histogram has 1 ms resolution. Both blur exactly the
 * sub-millisecond tails this comparison is about. The bench reports autocannon's figures
 * next to these for reference.
 */

import http from 'node:http';
import { percentile } from './stats.js';

export interface PacedResult {
  rate: number;
  achievedRate: number;
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
}

export async function pacedLoad(opts: { url: string; headers?: Record<string, string>; rate: number; seconds: number; connections: number }): Promise<PacedResult> {
  const target = new URL(opts.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
  const total = Math.round(opts.rate * opts.seconds);
  const latencies = new Float64Array(total);
  let done = 0;
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let sent = 0;
  const interval = 1000 / opts.rate;
  const start = performance.now();
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const complete = (due: number, status: number | null): void => {
    if (status === null) errors++;
    else if (status >= 200 && status < 300) {
      latencies[ok] = performance.now() - due;
      ok++;
    } else non2xx++;
    done++;
    if (done === total) finish();
  };

  const send = (due: number): void => {
    const req = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: 'GET', headers: opts.headers ?? {}, agent }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => complete(due, res.statusCode ?? 0));
      res.on('error', () => complete(due, null));
    });
    req.on('error', () => complete(due, null));
    req.end();
  };

  const tick = (): void => {
    const now = performance.now();
    while (sent < total && start + sent * interval <= now) {
      send(start + sent * interval);
      sent++;
    }
    if (sent < total) setTimeout(tick, Math.max(0, Math.min(1, start + sent * interval - performance.now())));
  };
  tick();
  const timeout = setTimeout(finish, (opts.seconds + 30) * 1000);
  await finished;
  clearTimeout(timeout);
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  const sorted = latencies.subarray(0, ok).sort();
  return {
    rate: opts.rate,
    achievedRate: Math.round(done / elapsed),
    sent,
    ok,
    non2xx,
    errors,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.length === 0 ? 0 : (sorted[sorted.length - 1] ?? 0),
  };
}
