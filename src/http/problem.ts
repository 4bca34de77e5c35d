/**
 * application/problem+json answers (RFC 9457) with the gateway's stable `code`s. Every error path of
 * the HTTP layer ends here, so no failure leaks a stack trace or an HTML page.
 */
import type { Response } from 'express';
import { isRedisUnavailable, storeUnavailable } from '../redis/errors.js';
import { MAX_BODY_BYTES, UnsupportedMediaType } from './body.js';
import {
  GatewayError,
  UpstreamBadResponse,
  UpstreamRejected,
  UpstreamTimeout,
  UpstreamUnavailable,
  ValidationFailed,
  type FieldError,
} from '../domain/errors.js';
import { RecordsUnavailable } from '../records/errors.js';

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
  store_unavailable: 'The gateway cannot use its store now',
  rate_limited: 'Too many requests',
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

export interface ProblemAnswer {
  problem: Problem;
  headers: Record<string, string>;
}

/** What the table may use of the request: the method and URL, for errors about the URL itself. */
export interface ProblemContext {
  method?: string;
  url?: string;
}

/** Seconds a client is told to wait after 503 `store_unavailable`: long enough for a reconnect or failover. */
const STORE_RETRY_AFTER_SECONDS = 2;

interface Row {
  matches(error: unknown): boolean;
  answer(error: unknown, context: ProblemContext): ProblemAnswer;
}

const status = (e: unknown) => (e as { status?: unknown; statusCode?: unknown }).status ?? (e as { statusCode?: unknown }).statusCode;
const bodyType = (e: unknown) => (e as { type?: unknown }).type;
const plain = (p: Problem): ProblemAnswer => ({ problem: p, headers: {} });

/**
 * Every error the gateway can meet → its HTTP answer, first match wins. Body-reading errors come from
 * express's raw parser (http-errors with a `type`); Redis failures of any kind (down, timing out, OOM,
 * READONLY, BUSY, …) and any error whose code is `store_unavailable` answer 503; anything unknown is a
 * 500 that says nothing of the internals.
 */
const TABLE: Row[] = [
  {
    matches: (e) => e instanceof ValidationFailed,
    answer: (e) => {
      const v = e as ValidationFailed;
      return plain(problem(400, v.code, v.message, v.errors.length > 0 ? { errors: v.errors } : {}));
    },
  },
  { matches: (e) => e instanceof UnsupportedMediaType, answer: (e) => plain(problem(415, 'unsupported_media_type', (e as Error).message)) },
  {
    matches: (e) => e !== null && typeof e === 'object' && (status(e) === 413 || bodyType(e) === 'entity.too.large'),
    answer: () => plain(problem(413, 'payload_too_large', `Bodies are limited to ${MAX_BODY_BYTES} bytes (1 MiB)`)),
  },
  {
    matches: (e) => e !== null && typeof e === 'object' && (status(e) === 415 || bodyType(e) === 'encoding.unsupported' || bodyType(e) === 'charset.unsupported'),
    answer: () => plain(problem(415, 'unsupported_media_type', 'Unsupported Content-Encoding or charset')),
  },
  {
    matches: (e) => e instanceof URIError || /^Failed to decode param/.test((e as Error | null)?.message ?? ''),
    answer: (_e, ctx) =>
      plain(problem(400, ctx.method === 'GET' ? 'invalid_identifier' : 'invalid_body', `The URL is not validly percent-encoded: ${(ctx.url ?? '').slice(0, 200)}`)),
  },
  {
    // The raw body parser's other refusals (an aborted upload, a length that does not match, bad compression).
    matches: (e) => e !== null && typeof e === 'object' && typeof status(e) === 'number' && (status(e) as number) >= 400 && (status(e) as number) < 500 && typeof bodyType(e) === 'string',
    answer: (e) => plain(problem(400, 'invalid_body', `The request body could not be read: ${String((e as Error).message).slice(0, 200)}`)),
  },
  {
    matches: (e) => isRedisUnavailable(e) || (e as { code?: unknown } | null)?.code === 'store_unavailable',
    answer: (e) => {
      const message =
        (e instanceof GatewayError && e.code === 'store_unavailable') || e instanceof RecordsUnavailable ? (e as Error).message : storeUnavailable(e).message;
      return {
        problem: problem(503, 'store_unavailable', message, { retryAfterSeconds: STORE_RETRY_AFTER_SECONDS }),
        headers: { 'Retry-After': String(STORE_RETRY_AFTER_SECONDS) },
      };
    },
  },
  {
    matches: (e) => e instanceof UpstreamUnavailable,
    answer: (e) => {
      const u = e as UpstreamUnavailable;
      const retry = u.details.retryAfterSeconds;
      return {
        problem: problem(503, u.code, u.message, { upstream: u.details.upstream, ...(retry ? { retryAfterSeconds: retry } : {}) }),
        headers: retry ? { 'Retry-After': String(retry) } : ({} as Record<string, string>),
      };
    },
  },
  { matches: (e) => e instanceof UpstreamTimeout, answer: (e) => plain(problem(504, 'upstream_timeout', (e as UpstreamTimeout).message, { upstream: (e as UpstreamTimeout).details.upstream })) },
  {
    matches: (e) => e instanceof UpstreamBadResponse,
    answer: (e) => plain(problem(502, 'upstream_bad_response', (e as UpstreamBadResponse).message, { upstream: (e as UpstreamBadResponse).details.upstream })),
  },
  {
    matches: (e) => e instanceof UpstreamRejected,
    answer: (e) => {
      const r = e as UpstreamRejected;
      return plain(problem(502, r.code, r.message, { upstream: r.details.upstream, upstreamCode: r.details.upstreamCode }));
    },
  },
  { matches: (e) => e instanceof GatewayError && e.code === 'not_found', answer: (e) => plain(problem(404, 'not_found', (e as Error).message)) },
];

/** The answer for any error (see TABLE); unknown errors are a 500 without internals. */
export function problemFor(error: unknown, context: ProblemContext = {}): ProblemAnswer {
  for (const row of TABLE) if (row.matches(error)) return row.answer(error, context);
  return plain(problem(500, 'internal_error', 'An internal error occurred'));
}
