/**
 * Small statistics and formatting helpers shared by the benchmark scripts.
 * @module
 */

/** Percentiles and extremes of a sample. */
export interface Summary {
  /** Number of samples. */
  n: number;
  /** Smallest sample. */
  min: number;
  /** Median. */
  p50: number;
  /** 95th percentile. */
  p95: number;
  /** 99th percentile. */
  p99: number;
  /** Largest sample. */
  max: number;
  /** Arithmetic mean. */
  mean: number;
}

/**
 * Returns the `p`-th percentile (0-100) of `samples` by the nearest-rank
 * method: the smallest sample with at least p% of the samples at or below it.
 *
 * @throws {RangeError} for an empty sample or p outside 0-100.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) {
    throw new RangeError(
      "Cannot take a percentile as the sample is empty: current length is 0",
    );
  }
  if (!(p >= 0 && p <= 100)) {
    throw new RangeError(
      `Cannot take a percentile as p must be within 0-100: current value is ${p}`,
    );
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** Returns the median (nearest rank) of a non-empty sample. */
export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** Summarizes a non-empty sample. */
export function summarize(samples: readonly number[]): Summary {
  const sum = samples.reduce((a, b) => a + b, 0);
  return {
    n: samples.length,
    min: Math.min(...samples),
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
    max: Math.max(...samples),
    mean: sum / samples.length,
  };
}

/** Formats a number for a table: thousands separators, fewer decimals as it grows. */
export function fmt(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return "-";
  }
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** Bytes to MiB. */
export function mib(bytes: number): number {
  return bytes / (1024 * 1024);
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Wall-clock milliseconds with sub-millisecond resolution (comparable across processes). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The 1, 5 and 15 minute load averages from /proc/loadavg (null when unreadable). */
export function loadAverage(): [number, number, number] | null {
  try {
    const [a, b, c] = Deno.readTextFileSync("/proc/loadavg").split(" ");
    return [Number(a), Number(b), Number(c)];
  } catch {
    return null;
  }
}
