/**
 * Faults a test arms on a fake, shared by every fake: the next calls fail with a given error, or hang
 * until their caller gives up, as a real upstream does. An already-aborted call fails first, without
 * using up an armed fault, since the real adapters send nothing then.
 */
import { UpstreamTimeout } from '../../src/domain/errors.js';
import type { CallContext } from '../../src/ports/call-context.js';

type Fault = { kind: 'fail'; error: Error; left: number } | { kind: 'hang'; left: number };

export class FaultPlan {
  private readonly armed: Fault[] = [];

  /**
   * @param upstream name carried by the UpstreamTimeout it raises (`dvcqg`, `dancu`, `dkdn`)
   * @param timeoutMs how long a hung call waits without a signal before it times out, as the adapter's own deadline
   */
  constructor(
    private readonly upstream: string,
    private readonly timeoutMs: number,
  ) {}

  /** The next `times` calls (Infinity: every call until `clear()`) fail with `error`, after any faults armed before. */
  failNext(error: Error, times = 1): void {
    this.armed.push({ kind: 'fail', error, left: times });
  }

  /** The next `times` calls get no answer: they end with UpstreamTimeout when their signal aborts, or after `timeoutMs`. */
  hangNext(times = 1): void {
    this.armed.push({ kind: 'hang', left: times });
  }

  clear(): void {
    this.armed.length = 0;
  }

  /** Runs before every call of a fake: raises what the call should raise, or resolves to let it proceed. */
  async enter(context: CallContext = {}): Promise<void> {
    const { signal } = context;
    if (signal?.aborted) throw this.timeout('aborted by the caller');
    const fault = this.armed[0];
    if (fault === undefined) return;
    if (--fault.left <= 0) this.armed.shift();
    if (fault.kind === 'fail') throw fault.error;
    await this.hang(signal);
  }

  private hang(signal: AbortSignal | undefined): Promise<never> {
    return new Promise<never>((_resolve, reject) => {
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        reject(this.timeout(`no answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      timer.unref();
      const onAbort = () => {
        clearTimeout(timer);
        reject(this.timeout('aborted by the caller'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private timeout(why: string): UpstreamTimeout {
    return new UpstreamTimeout(`${this.upstream} (fake): call ${why}`, { upstream: this.upstream, timeoutMs: this.timeoutMs });
  }
}

/** The failure controls every fake offers, over one FaultPlan. */
export abstract class FakeWithFaults {
  protected readonly faults: FaultPlan;

  constructor(upstream: string, timeoutMs: number) {
    this.faults = new FaultPlan(upstream, timeoutMs);
  }

  /** The next `times` calls fail with `error` (Infinity: until `clearFaults()`). */
  failNext(error: Error, times = 1): void {
    this.faults.failNext(error, times);
  }

  /** The next `times` calls are never answered: UpstreamTimeout when the caller's signal aborts. */
  hangNext(times = 1): void {
    this.faults.hangNext(times);
  }

  clearFaults(): void {
    this.faults.clear();
  }
}
