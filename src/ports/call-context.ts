/** What every upstream call carries: a deadline to honour and who it is made for. */
export interface CallContext {
  /** Aborted when the caller gives up (timeout, shutdown); adapters must pass it to their transport. */
  signal?: AbortSignal;
  /** Correlates the upstream call with the request that caused it, for logs. */
  requestId?: string;
}
