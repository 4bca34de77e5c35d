/**
 * A closed-loop load generator: `concurrency` workers each run the next task as soon as their last one
 * ended, until `total` tasks ran or `maxMs` passed (then no new task starts: every load stops by itself).
 */
export interface LoadOptions {
  /** How many tasks to run. */
  total: number;
  /** Tasks in flight at once. */
  concurrency: number;
  /** No task starts after this many ms from the first; a safety stop. Default 120000. */
  maxMs?: number;
  /** Runs task `i` (0-based) and returns the HTTP status it got. A throw counts as an error. */
  task: (i: number) => Promise<number>;
}

export interface LoadResult {
  /** Tasks started. */
  ran: number;
  /** Tasks that got the status `ok` accepted (see `countOk`). */
  statuses: Record<string, number>;
  errors: number;
  firstError: string | null;
  /** From the first start to the last end, ms. */
  elapsedMs: number;
  /** performance.now() of the first start and the last end. */
  startedAt: number;
  endedAt: number;
  /** Latency of every task, ms, in completion order. */
  latenciesMs: Float64Array;
  /** True when `maxMs` stopped the load before `total`. */
  cutShort: boolean;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { total, concurrency, task } = options;
  const maxMs = options.maxMs ?? 120_000;
  const latencies = new Float64Array(total);
  const statuses: Record<string, number> = {};
  let next = 0;
  let done = 0;
  let errors = 0;
  let firstError: string | null = null;
  let cutShort = false;
  const startedAt = performance.now();
  let endedAt = startedAt;
  const worker = async () => {
    for (;;) {
      if (next >= total) return;
      if (performance.now() - startedAt > maxMs) {
        cutShort = true;
        return;
      }
      const i = next++;
      const t0 = performance.now();
      try {
        const status = await task(i);
        statuses[status] = (statuses[status] ?? 0) + 1;
      } catch (e) {
        errors++;
        firstError ??= e instanceof Error ? e.message : String(e);
      }
      const t1 = performance.now();
      latencies[done++] = t1 - t0;
      if (t1 > endedAt) endedAt = t1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return { ran: next, statuses, errors, firstError, elapsedMs: endedAt - startedAt, startedAt, endedAt, latenciesMs: latencies.subarray(0, done), cutShort };
}

/** How many tasks ended with one of `codes`. */
export function countOk(result: LoadResult, ...codes: number[]): number {
  return codes.reduce((sum, c) => sum + (result.statuses[c] ?? 0), 0);
}

export interface Percentiles {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of `values` (ms). */
export function percentiles(values: ArrayLike<number>): Percentiles {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return { n, mean: NaN, p50: NaN, p90: NaN, p99: NaN, max: NaN };
  const at = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]!;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { n, mean: sum / n, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[n - 1]! };
}

/** A summary line of a load: rate, latencies, statuses. */
export function describeLoad(label: string, result: LoadResult, unitsPerTask = 1): string {
  const p = percentiles(result.latenciesMs);
  const rate = (result.ran * unitsPerTask) / (result.elapsedMs / 1000);
  const statuses = Object.entries(result.statuses).map(([s, n]) => `${s}×${n}`).join(' ');
  const errs = result.errors ? ` errors×${result.errors} (first: ${result.firstError})` : '';
  const cut = result.cutShort ? ' CUT SHORT by maxMs' : '';
  return `${label}: ${result.ran} in ${fmt(result.elapsedMs, 0)} ms = ${fmt(rate, 0)}/s; latency p50 ${fmt(p.p50)} p99 ${fmt(p.p99)} max ${fmt(p.max)} ms; ${statuses}${errs}${cut}`;
}

export function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : String(n);
}
