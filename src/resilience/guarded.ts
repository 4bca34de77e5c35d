/** Ports wrapped in their upstream's guard: every call gets the breaker, the bulkhead and a deadline. */
import type { CallContext } from '../ports/call-context.js';
import type { NationalPortal } from '../ports/national-portal.js';
import type { SourceRegistry } from '../lookup/source.js';
import type { UpstreamGuard } from './guard.js';

/** The call's context under the guard: its signal and deadline, the caller's signal kept (the caller's own deadline, if any, is not the guard's). */
function guarded(ctx: CallContext | undefined, signal: AbortSignal, deadlineAt: number): CallContext {
  return ctx?.signal ? { ...ctx, signal: AbortSignal.any([ctx.signal, signal]), deadlineAt: Math.min(deadlineAt, ctx.deadlineAt ?? Infinity) } : { ...ctx, signal, deadlineAt };
}

export function guardPortal(portal: NationalPortal, guard: UpstreamGuard): NationalPortal {
  return {
    syncDossier: (dossier, options, ctx) => guard.run((signal, at) => portal.syncDossier(dossier, options, guarded(ctx, signal, at))),
    updateProgress: (items, ctx) => guard.run((signal, at) => portal.updateProgress(items, guarded(ctx, signal, at))),
    findDossier: (m, ctx) => guard.run((signal, at) => portal.findDossier(m, guarded(ctx, signal, at))),
  };
}

/** A sector source's registry behind its guard. */
export function guardRegistry<Q, R>(registry: SourceRegistry<Q, R>, guard: UpstreamGuard): SourceRegistry<Q, R> {
  return {
    find: (q, purpose, ctx) => guard.run((signal, at) => registry.find(q, purpose, guarded(ctx, signal, at))),
    close: () => registry.close(),
  };
}
