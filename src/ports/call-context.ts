/** What every upstream call carries: a deadline to honour and who it is made for. */
export interface CallContext {
  /** Aborted when the caller gives up (timeout, shutdown); adapters must pass it to their transport. */
  signal?: AbortSignal;
  /**
   * When the caller's own deadline ends the call (epoch ms): `signal` aborts then, with a
   * DeadlineExceeded reason. An adapter whose own deadline would come no earlier may rely on it
   * instead of keeping a timer of its own.
   */
  deadlineAt?: number;
  /** Correlates the upstream call with the request that caused it, for logs. */
  requestId?: string;
}

/** The abort reason of a call whose deadline passed (as opposed to a caller giving up for another reason). */
export class DeadlineExceeded extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'DeadlineExceeded';
  }
}
