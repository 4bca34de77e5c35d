/**
 * application/problem+json answers (RFC 9457) with the gateway's stable `code`s. Every error path of
 * the HTTP layer ends here, so no failure leaks a stack trace or an HTML page.
 */
import type { Response } from 'express';
import {
  GatewayError,
  UpstreamBadResponse,
  UpstreamRejected,
  UpstreamTimeout,
  UpstreamUnavailable,
  ValidationFailed,
  type FieldError,
} from '../domain/errors.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const TITLES: Record<string, string> = {
  invalid_body: 'The request body is not valid',
  invalid_identifier: 'The identifier is not valid',
  invalid_query: 'The query is not valid',
  purpose_required: 'The purpose of the lookup must be stated',
  unauthorized: 'Authentication required',
  forbidden: 'Not allowed for this client',
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  payload_too_large: 'The request body is too large',
  unsupported_media_type: 'Unsupported media type',
  upstream_unavailable: 'The upstream is unavailable',
  upstream_timeout: 'The upstream did not answer in time',
  upstream_rejected: 'The upstream refused the request',
  upstream_bad_response: 'The upstream answered something unexpected',
  service_unavailable: 'The gateway cannot take this request now',
  store_unavailable: 'The gateway cannot store this now',
  internal_error: 'Internal error',
};

export function problem(status: number, code: string, detail: string, extra: Partial<Problem> = {}): Problem {
  return { type: `https://dvc-gateway/problems/${code.replace(/_/g, '-')}`, title: TITLES[code] ?? code, status, detail, code, ...extra };
}

export function sendProblem(res: Response, p: Problem, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.status(p.status).type('application/problem+json').send(JSON.stringify(p));
}

/** The core's errors → problem and headers. Anything unknown is a 500 without internals. */
export function problemFor(error: unknown): { problem: Problem; headers: Record<string, string> } {
  if (error instanceof ValidationFailed) {
    const extra = error.errors.length > 0 ? { errors: error.errors } : {};
    return { problem: problem(400, error.code, error.message, extra), headers: {} };
  }
  if (error instanceof UpstreamUnavailable) {
    const retry = error.details.retryAfterSeconds;
    return {
      problem: problem(503, error.code, error.message, { upstream: error.details.upstream, ...(retry ? { retryAfterSeconds: retry } : {}) }),
      headers: retry ? { 'Retry-After': String(retry) } : {},
    };
  }
  if (error instanceof UpstreamTimeout) return { problem: problem(504, error.code, error.message, { upstream: error.details.upstream }), headers: {} };
  if (error instanceof UpstreamBadResponse) return { problem: problem(502, error.code, error.message, { upstream: error.details.upstream }), headers: {} };
  if (error instanceof UpstreamRejected) {
    return {
      problem: problem(502, error.code, error.message, { upstream: error.details.upstream, upstreamCode: error.details.upstreamCode }),
      headers: {},
    };
  }
  if (error instanceof GatewayError && error.code === 'store_unavailable') {
    return { problem: problem(503, 'store_unavailable', error.message), headers: { 'Retry-After': '1' } };
  }
  if (error instanceof GatewayError && error.code === 'not_found') return { problem: problem(404, 'not_found', error.message), headers: {} };
  return { problem: problem(500, 'internal_error', 'An internal error occurred'), headers: {} };
}
