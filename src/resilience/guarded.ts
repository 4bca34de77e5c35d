/** Ports wrapped in their upstream's guard: every call gets the breaker, the bulkhead and a deadline. */
import type { NationalPortal } from '../ports/national-portal.js';
import type { SourceRegistry } from '../lookup/source.js';
import type { UpstreamGuard } from './guard.js';

/** The guard's deadline, and the caller's own signal when it has one. */
function both(own: AbortSignal | undefined, guard: AbortSignal): AbortSignal {
  return own ? AbortSignal.any([own, guard]) : guard;
}

export function guardPortal(portal: NationalPortal, guard: UpstreamGuard): NationalPortal {
  return {
    syncDossier: (dossier, options, ctx) => guard.run((signal) => portal.syncDossier(dossier, options, { ...ctx, signal: both(ctx?.signal, signal) })),
    updateProgress: (items, ctx) => guard.run((signal) => portal.updateProgress(items, { ...ctx, signal: both(ctx?.signal, signal) })),
    findDossier: (m, ctx) => guard.run((signal) => portal.findDossier(m, { ...ctx, signal: both(ctx?.signal, signal) })),
  };
}

/** A sector source's registry behind its guard. */
export function guardRegistry<Q, R>(registry: SourceRegistry<Q, R>, guard: UpstreamGuard): SourceRegistry<Q, R> {
  return {
    find: (q, purpose, ctx) => guard.run((signal) => registry.find(q, purpose, ctx ? { ...ctx, signal: both(ctx.signal, signal) } : { signal })),
    close: () => registry.close(),
  };
}
