/** Small statistics helpers for the bench (latencies in ms). */

/** The q-quantile (0..1) of ascending `sorted`, nearest rank; 0 for no samples. */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

/** A growable Float64Array of samples. */
export class Samples {
  private data = new Float64Array(1 << 16);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }

  sorted(): Float64Array {
    return this.data.slice(0, this.length).sort();
  }

  mean(): number {
    let sum = 0;
    for (let i = 0; i < this.length; i++) sum += this.data[i] ?? 0;
    return this.length === 0 ? 0 : sum / this.length;
  }
}

/** Rounds to `digits` decimals. */
export const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;
