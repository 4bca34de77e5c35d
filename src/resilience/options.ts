/** Resilience settings of one upstream; every field has the default of shared/API.md. */
export interface ResilienceOptions {
  /** The most one call may take before it is aborted. */
  timeoutMs: number;
  /** The circuit opens when at least this share of calls failed in the window (percent). Default 50. */
  errorThresholdPercent: number;
  /** ...and at least this many calls were made in the window. Default 10. */
  volumeThreshold: number;
  /** Length of the rolling window, ms. Default 10000. */
  windowMs: number;
  /** How long the circuit stays open before one trial call, ms. Default 30000. */
  openMs: number;
  /** Most calls in flight to this upstream at once; more answer 503 at once. */
  maxConcurrent: number;
}

export const DEFAULT_CIRCUIT = {
  errorThresholdPercent: 50,
  volumeThreshold: 10,
  windowMs: 10_000,
  openMs: 30_000,
} as const;
