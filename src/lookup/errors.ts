import { GatewayError, UpstreamBadResponse, UpstreamRejected, UpstreamTimeout, UpstreamUnavailable, ValidationFailed } from '../domain/errors.js';

/** No record matches a lookup: 404 not_found. */
export class NotFound extends GatewayError {
  readonly code = 'not_found';
  readonly retryable = false;
}

/** The HTTP status a lookup error answers with, for the audit record. */
export function statusOf(error: unknown): number {
  if (error instanceof ValidationFailed) return 400;
  if (error instanceof NotFound) return 404;
  if (error instanceof UpstreamUnavailable) return 503;
  if (error instanceof UpstreamTimeout) return 504;
  if (error instanceof UpstreamBadResponse || error instanceof UpstreamRejected) return 502;
  return 500;
}
