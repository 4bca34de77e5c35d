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

/** Most field errors one answer lists; past it, one closing entry says how many more there were. */
export const MAX_FIELD_ERRORS = 100;

const MORE = /^… and (\d+) more$/;

/** The closing entry of a list cut at MAX_FIELD_ERRORS. */
export function moreFieldErrors(n: number): FieldError {
  return { path: '', message: `… and ${n} more` };
}

/** N of a closing `… and N more` entry ending the list, or null when the list is whole. */
function moreOf(errors: readonly FieldError[]): number | null {
  const last = errors.at(-1);
  const more = last && last.path === '' ? MORE.exec(last.message) : null;
  return more ? Number(more[1]) : null;
}

/** The entries listed, without a closing `… and N more`. */
export function listedFieldErrors(errors: readonly FieldError[]): readonly FieldError[] {
  return moreOf(errors) === null ? errors : errors.slice(0, -1);
}

/** How many errors a (possibly cut) list stands for. */
export function totalFieldErrors(errors: readonly FieldError[]): number {
  const more = moreOf(errors);
  return more === null ? errors.length : errors.length - 1 + more;
}

/** The list cut to at most `limit` entries and a closing `… and N more` (N counting a closing entry already there). */
export function boundFieldErrors(errors: readonly FieldError[], limit = MAX_FIELD_ERRORS): FieldError[] {
  const total = totalFieldErrors(errors);
  const listed = listedFieldErrors(errors);
  if (listed.length <= limit) return [...errors];
  return [...listed.slice(0, limit), moreFieldErrors(total - limit)];
}

/** Input that breaks a rule; `code` is the problem+json code it answers with. */
export class ValidationFailed extends GatewayError {
  readonly retryable = false;
  /** At most MAX_FIELD_ERRORS entries and a closing `… and N more`, however many the input broke. */
  readonly errors: FieldError[];
  constructor(
    readonly code: 'invalid_body' | 'invalid_identifier' | 'invalid_query' | 'purpose_required',
    message: string,
    errors: readonly FieldError[] = [],
  ) {
    super(message);
    this.errors = boundFieldErrors(errors);
  }
}

/**
 * The gateway's own store (Redis, or PostgreSQL for the durable records) cannot take or give what the
 * request needs: unreachable, timing out, out of memory, read-only, busy. Retrying later may succeed.
 */
export class StoreUnavailable extends GatewayError {
  readonly code = 'store_unavailable';
  readonly retryable = true;
  constructor(
    message: string,
    readonly details: { store: 'redis' | 'postgres'; reason: string; retryAfterSeconds?: number },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** No record matches a lookup, or no such resource: 404 not_found. */
export class NotFound extends GatewayError {
  readonly code = 'not_found';
  readonly retryable = false;
}
