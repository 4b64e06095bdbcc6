/** Small statistics helpers for the benchmark scripts (numbers are printed, never asserted). */
export function percentile(sortedMs: readonly number[], p: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  const index = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[index] as number;
}

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
}

export async function measureLatency(iterations: number, warmup: number, run: (i: number) => Promise<unknown>): Promise<LatencySummary> {
  for (let i = 0; i < warmup; i++) await run(i);
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await run(warmup + i);
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return { count: iterations, p50: percentile(samples, 50), p99: percentile(samples, 99), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

/** Calls per second with `concurrency` callers for `durationMs`. */
export async function measureThroughput(concurrency: number, durationMs: number, run: (i: number) => Promise<unknown>): Promise<number> {
  let count = 0;
  const deadline = performance.now() + durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) await run(count++);
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

export const ms = (value: number): string => `${value.toFixed(2)} ms`;
export const ratio = (value: number): string => `${value.toFixed(2)}x`;

export function verdict(ok: boolean): string {
  return ok ? "meets target" : "MISSES target";
}
