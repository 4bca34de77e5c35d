/**
 * Per-upstream figures over a sliding window (default 5 minutes), for /v1/ops/upstreams. Samples
 * are kept in one-second buckets so memory stays bounded whatever the traffic; latencies per bucket
 * are kept as a small log-scale histogram, from which percentiles are read.
 */
const BUCKET_MS = 1_000;
/** Histogram bounds in ms, log-spaced: fine near 1 ms, coarse past a second. */
const BOUNDS = Array.from({ length: 64 }, (_, i) => Math.round(Math.pow(1.25, i) * 0.5 * 100) / 100);

interface Bucket {
  second: number;
  requests: number;
  failures: number;
  timeouts: number;
  rejected: number;
  latency: number[];
}

export type CallOutcome = 'success' | 'failure' | 'timeout' | 'rejected' | 'short_circuit';

export interface WindowFigures {
  requests: number;
  failures: number;
  timeouts: number;
  rejected: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
}

export class SlidingStats {
  private readonly buckets: Bucket[] = [];

  constructor(private readonly windowMs = 5 * 60_000, private readonly now: () => number = Date.now) {}

  /**
   * `success` and `failure` are calls that reached the upstream; `timeout` a call aborted by its
   * deadline; `rejected` the upstream refused the payload; `short_circuit` a call refused by the
   * gateway itself (open circuit, full bulkhead) — counted in `rejected`, never in `requests`.
   */
  record(outcome: CallOutcome, latencyMs: number | null): void {
    const bucket = this.current();
    if (outcome === 'short_circuit') {
      bucket.rejected++;
      return;
    }
    bucket.requests++;
    if (outcome === 'failure') bucket.failures++;
    if (outcome === 'timeout') {
      bucket.failures++;
      bucket.timeouts++;
    }
    if (outcome === 'rejected') bucket.rejected++;
    if (latencyMs !== null) bucket.latency[binOf(latencyMs)]!++;
  }

  figures(): WindowFigures {
    this.evict();
    const total: WindowFigures = { requests: 0, failures: 0, timeouts: 0, rejected: 0, latencyMs: { p50: null, p95: null, p99: null } };
    const hist = new Array<number>(BOUNDS.length + 1).fill(0);
    for (const b of this.buckets) {
      total.requests += b.requests;
      total.failures += b.failures;
      total.timeouts += b.timeouts;
      total.rejected += b.rejected;
      for (let i = 0; i < hist.length; i++) hist[i]! += b.latency[i]!;
    }
    const count = hist.reduce((a, b) => a + b, 0);
    if (count > 0) {
      total.latencyMs = { p50: quantile(hist, count, 0.5), p95: quantile(hist, count, 0.95), p99: quantile(hist, count, 0.99) };
    }
    return total;
  }

  private current(): Bucket {
    const second = Math.floor(this.now() / BUCKET_MS);
    const last = this.buckets[this.buckets.length - 1];
    if (last && last.second === second) return last;
    this.evict();
    const bucket: Bucket = { second, requests: 0, failures: 0, timeouts: 0, rejected: 0, latency: new Array<number>(BOUNDS.length + 1).fill(0) };
    this.buckets.push(bucket);
    return bucket;
  }

  private evict(): void {
    const oldest = Math.floor((this.now() - this.windowMs) / BUCKET_MS);
    while (this.buckets.length > 0 && this.buckets[0]!.second <= oldest) this.buckets.shift();
  }
}

function binOf(ms: number): number {
  let lo = 0;
  let hi = BOUNDS.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ms <= BOUNDS[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The upper bound of the bin holding the q-quantile: an over-estimate by at most 25 %. */
function quantile(hist: number[], count: number, q: number): number {
  const rank = Math.ceil(q * count);
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i]!;
    if (seen >= rank) return BOUNDS[Math.min(i, BOUNDS.length - 1)]!;
  }
  return BOUNDS[BOUNDS.length - 1]!;
}
