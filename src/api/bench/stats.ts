// Percentiles and summaries for the API benchmark. Samples are plain numbers (ms).

/** p50/p99/max (and count) of a sample set; NaN fields when empty. */
export interface Summary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** Rounds to 2 decimals (printing and JSON). */
export function r2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** The q-quantile (0..1) of sorted values (nearest rank). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

/** Summary of samples (sorted in place as a Float64Array copy). */
export function summarize(samples: ArrayLike<number>): Summary {
  const s = Float64Array.from(samples).sort();
  return { count: s.length, p50: r2(quantile(s, 0.5)), p99: r2(quantile(s, 0.99)), max: r2(s.length === 0 ? Number.NaN : (s[s.length - 1] ?? Number.NaN)) };
}

/** A growable sample buffer (avoids millions of boxed numbers in a JS array). */
export class Samples {
  #buf = new Float64Array(1024);
  #n = 0;

  add(x: number): void {
    if (this.#n === this.#buf.length) {
      const next = new Float64Array(this.#buf.length * 2);
      next.set(this.#buf);
      this.#buf = next;
    }
    this.#buf[this.#n++] = x;
  }

  get length(): number {
    return this.#n;
  }

  clear(): void {
    this.#n = 0;
  }

  /** A copy of the samples as a plain array (for IPC). */
  toArray(): number[] {
    return Array.from(this.#buf.subarray(0, this.#n));
  }
}

/** Wall-clock ms shared by every process on the machine (stamps and receipts). */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/** CPU time (user + system, ms) this process used since `start`. */
export function cpuMsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

/** Formats a Summary as `p50 / p99 / max ms`. */
export function fmt(s: Summary): string {
  return `${s.p50} / ${s.p99} / ${s.max} ms (n=${s.count})`;
}
