/**
 * Retry delays: exponential with full jitter (AWS architecture blog's "full jitter"), capped, so
 * thousands of dossiers failing together do not retry together. With the defaults (2 s base,
 * 15 min cap, 130 attempts) a delivery keeps trying for about a day.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export function retryDelayMs(attemptsMade: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exp = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attemptsMade - 1));
  // Half fixed, half random: never retry immediately, never all at once.
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** The expected time a delivery keeps retrying before it becomes a dead letter. */
export function expectedRetryWindowMs(maxAttempts: number, options: BackoffOptions): number {
  let total = 0;
  for (let a = 1; a < maxAttempts; a++) total += 0.75 * Math.min(options.maxMs, options.baseMs * 2 ** (a - 1));
  return total;
}
