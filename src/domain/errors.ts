/**
 * The core's own errors. Adapters translate whatever their transport raises (axios errors, SOAP
 * faults, opossum's EOPENBREAKER/ETIMEDOUT) into these at their boundary, so the core and the HTTP
 * layer reason about one small vocabulary. `code` is stable and is what clients see in problem+json.
 */
export abstract class GatewayError extends Error {
  abstract readonly code: string;
  /** Whether repeating the same call later may succeed. */
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Connection refused or reset, HTTP 5xx or 429, an open circuit, a full bulkhead. */
export class UpstreamUnavailable extends GatewayError {
  readonly code = 'upstream_unavailable';
  readonly retryable = true;
  constructor(
    message: string,
    readonly details: {
      upstream: string;
      /** Seconds until the upstream may be tried again (an open circuit), when known. */
      retryAfterSeconds?: number;
      /** Why it is unavailable: `circuit_open`, `bulkhead_full`, `connection`, `http_5xx`, `rate_limited`, `auth_failed` (login refused), `credentials` (token refused). */
      reason?: string;
    },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The call took longer than its explicit timeout and was aborted. */
export class UpstreamTimeout extends GatewayError {
  readonly code = 'upstream_timeout';
  readonly retryable = true;
  constructor(message: string, readonly details: { upstream: string; timeoutMs: number }, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The upstream understood the call and refused it; sending it again unchanged will not help. */
export class UpstreamRejected extends GatewayError {
  readonly code = 'upstream_rejected';
  readonly retryable = false;
  constructor(
    message: string,
    readonly details: { upstream: string; upstreamCode: string | null; upstreamMessage: string | null },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The upstream answered something that does not follow its protocol (malformed body, SOAP Fault). */
export class UpstreamBadResponse extends GatewayError {
  readonly code = 'upstream_bad_response';
  readonly retryable = true;
  constructor(message: string, readonly details: { upstream: string; upstreamCode?: string | null }, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export type UpstreamError = UpstreamUnavailable | UpstreamTimeout | UpstreamRejected | UpstreamBadResponse;

export function isUpstreamError(error: unknown): error is UpstreamError {
  return (
    error instanceof UpstreamUnavailable ||
    error instanceof UpstreamTimeout ||
    error instanceof UpstreamRejected ||
    error instanceof UpstreamBadResponse
  );
}

/** One offending field of a request: `path` is a JSON Pointer into the body or names a parameter. */
export interface FieldError {
  path: string;
  message: string;
}

/** Input that breaks a rule; `code` is the problem+json code it answers with. */
export class ValidationFailed extends GatewayError {
  readonly retryable = false;
  constructor(
    readonly code: 'invalid_body' | 'invalid_identifier' | 'invalid_query' | 'purpose_required',
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
  }
}

/** No record matches a lookup, or no such resource: 404 not_found. */
export class NotFound extends GatewayError {
  readonly code = 'not_found';
  readonly retryable = false;
}

/** The gateway's own store (Redis) cannot take or give what the request needs: 503 store_unavailable. */
export class StoreUnavailable extends GatewayError {
  readonly code = 'store_unavailable';
  readonly retryable = true;
}

/**
 * The one table from the core's errors to HTTP statuses: the problem+json answers and the audit
 * records both read it. Anything not listed is a 500.
 */
export function httpStatusOf(error: unknown): number {
  if (error instanceof ValidationFailed) return 400;
  if (error instanceof NotFound) return 404;
  if (error instanceof UpstreamUnavailable || error instanceof StoreUnavailable) return 503;
  if (error instanceof UpstreamTimeout) return 504;
  if (error instanceof UpstreamBadResponse || error instanceof UpstreamRejected) return 502;
  return 500;
}
