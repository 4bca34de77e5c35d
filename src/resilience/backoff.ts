/**
 * Retry delays: exponential with jitter, capped, so thousands of dossiers failing together do not
 * retry together. The delay grows by half each failed round rather than doubling: the portal's circuit,
 * not this backoff, holds deliveries while the portal is down, so what a dossier's own backoff meets is
 * mostly random faults, and a few of those in a row must not push its next try minutes away. With the
 * defaults (1 s base, 15 min cap, 130 attempts) a delivery keeps trying for about a day.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

/** Each failed round multiplies the delay by this. */
export const BACKOFF_GROWTH = 1.5;

export function retryDelayMs(attemptsMade: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exp = Math.min(options.maxMs, options.baseMs * BACKOFF_GROWTH ** Math.max(0, attemptsMade - 1));
  // Half fixed, half random: never retry immediately, never all at once.
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** The expected time a delivery keeps retrying before it becomes a dead letter. */
export function expectedRetryWindowMs(maxAttempts: number, options: BackoffOptions): number {
  let total = 0;
  for (let a = 1; a < maxAttempts; a++) total += 0.75 * Math.min(options.maxMs, options.baseMs * BACKOFF_GROWTH ** (a - 1));
  return total;
}
