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
  /** How long the circuit stays open before the trial calls, ms. Default 30000. */
  openMs: number;
  /**
   * Trial calls let through while half-open; the circuit closes when their failure share stays below
   * the threshold. Default 1 (one trial call decides).
   */
  halfOpenTrials: number;
  /** Most calls in flight to this upstream at once; more wait for a place (up to maxWaiting) or answer 503 at once. */
  maxConcurrent: number;
  /**
   * Calls that may wait, in order, for a place when maxConcurrent are in flight; past that a call is
   * refused (`bulkhead_full`). Default 0: sector sources refuse at once, where an officer waits; the
   * portal's deliveries, which nobody waits on, queue for a place instead of being refused and retried.
   */
  maxWaiting?: number;
}

export const DEFAULT_CIRCUIT = {
  errorThresholdPercent: 50,
  volumeThreshold: 10,
  windowMs: 10_000,
  openMs: 30_000,
  halfOpenTrials: 1,
} as const;

/**
 * The portal's circuit only holds queued deliveries back: nobody waits on it, so it can afford a longer
 * window (a steady random fault rate well below the threshold never reaches it by chance), a short
 * open period and ten trial calls judged by their failure share. When the portal is down, every call
 * fails, and the failures outweigh the window's earlier successes within about half the window.
 */
export const DEFAULT_PORTAL_CIRCUIT = {
  errorThresholdPercent: 50,
  volumeThreshold: 40,
  windowMs: 30_000,
  openMs: 10_000,
  halfOpenTrials: 10,
} as const;
