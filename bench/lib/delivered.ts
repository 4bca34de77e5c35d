/** What the sync benchmarks share: waiting until the portal holds a round, and `--gateway-env`. */
import type { DvcqgSimulator } from '../../adapters/dvcqg/index.js';

/**
 * Resolves with performance.now() at the first poll that finds every dossier of `codes` and its progress
 * item at the portal. Deliveries run roughly in order, so each poll checks the undelivered ones from the
 * oldest and stops after 64 still missing: a poll costs what was delivered since the last one, not N.
 */
export async function whenDelivered(sim: DvcqgSimulator, codes: string[], deadline: number): Promise<number> {
  const pending = new Set(codes);
  for (;;) {
    let missing = 0;
    for (const m of pending) {
      if (sim.progress(m).length > 0) pending.delete(m);
      else if (++missing >= 64) break;
    }
    if (pending.size === 0) return performance.now();
    if (performance.now() > deadline) throw new Error(`${pending.size} of ${codes.length} dossiers were not delivered in time`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The `--gateway-env NAME=value` options (repeatable) as an environment for the gateway child. */
export function gatewayEnv(pairs: string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((kv) => {
      const i = kv.indexOf('=');
      if (i < 1) throw new Error(`--gateway-env takes NAME=value, got ${kv}`);
      return [kv.slice(0, i), kv.slice(i + 1)];
    }),
  );
}
