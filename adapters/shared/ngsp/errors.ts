/**
 * Failures of a registry reached through NGSP (shared/UPSTREAMS.md §3, and §4 shaped like it) → the
 * core's errors: the one table, shared by every such registry. What an upstream wrote in an error body
 * (`error_description`) may name the person looked up, so it never reaches a message, a log line,
 * `lastError` or an answer: only the status and the OAuth `error` code, when it is a plain code, do.
 */
import { UpstreamBadResponse, UpstreamRejected, UpstreamTimeout, UpstreamUnavailable, type UpstreamError } from '../../../src/domain/errors.js';

/** An HTTP answer as the client saw it; the body is kept as text so malformed JSON is caught. */
export interface WireAnswer {
  status: number;
  body: string;
  retryAfter: string | undefined;
}

/** The answer broke the protocol; becomes UpstreamBadResponse. */
export class UnexpectedAnswer extends Error {
  override readonly name = 'UnexpectedAnswer';
}

/** Everything that can go wrong with one call, as the client observed it. */
export type Failure =
  /** The lookup's own deadline (`timeoutMs`) passed. */
  | { kind: 'deadline'; timeoutMs: number }
  /** The caller's signal aborted the call (the guard's timeout, a shutdown). */
  | { kind: 'aborted'; timeoutMs: number }
  /** No HTTP answer: refused, reset, DNS, TLS, axios's per-request timeout. `code` is Node's or axios's. */
  | { kind: 'transport'; code: string | undefined; message: string; timeoutMs: number; cause: unknown }
  | ({ kind: 'http'; phase: 'token' | 'lookup' } & WireAnswer)
  | { kind: 'malformed'; reason: string };

type FailureClass = 'timeout' | 'connection' | 'http_5xx' | 'rate_limited' | 'credentials' | 'token_refused' | 'rejected' | 'malformed';

/** axios reports its own timeout as ECONNABORTED (or ETIMEDOUT with clarifyTimeoutError). */
const TIMEOUT_CODES: ReadonlySet<string> = new Set(['ECONNABORTED', 'ETIMEDOUT']);

function classify(f: Failure): FailureClass {
  switch (f.kind) {
    case 'deadline':
    case 'aborted':
      return 'timeout';
    case 'transport':
      if (f.code !== undefined && TIMEOUT_CODES.has(f.code)) return 'timeout';
      // axios: a body over maxContentLength, or one it could not decode.
      return f.code === 'ERR_BAD_RESPONSE' || f.code === 'ERR_FR_MAX_BODY_LENGTH_EXCEEDED' ? 'malformed' : 'connection';
    case 'malformed':
      return 'malformed';
    case 'http':
      if (f.status === 429) return 'rate_limited';
      if (f.status >= 500) return 'http_5xx';
      if (f.status >= 400 && f.phase === 'token') return 'credentials';
      if (f.status === 401) return 'token_refused';
      if (f.status >= 400) return 'rejected';
      return 'malformed';
  }
}

/** An OAuth `error` code is a short word; anything else an upstream put there is not repeated. */
const PLAIN_CODE = /^[A-Za-z0-9_.:-]{1,64}$/;

/** The `error` code of an error body, when it is a plain code. */
export function oauthErrorCode(body: string): string | null {
  try {
    const parsed: unknown = JSON.parse(body);
    const error = typeof parsed === 'object' && parsed !== null ? (parsed as { error?: unknown }).error : undefined;
    return typeof error === 'string' && PLAIN_CODE.test(error) ? error : null;
  } catch {
    // An error page that is not JSON (a proxy's HTML) carries no code.
    return null;
  }
}

/** Retry-After as seconds (RFC 9110: delay-seconds or an HTTP-date); undefined when absent or unreadable. */
export function retryAfterSeconds(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** Node's and axios's own error codes are safe to repeat; their messages name only hosts and sizes. */
const TRANSPORT_CODE = /^[A-Z0-9_]{1,64}$/;

export interface NgspUpstream {
  /** Its name in errors, ops and metrics (`dkdn`). */
  upstream: string;
  /** The lookup operation's name, for messages (`chiTietDoanhNghiep`). */
  operation: string;
  /** The settings to check when the credentials are refused (`DKDN_URL, DKDN_CLIENT_ID and DKDN_CLIENT_SECRET`). */
  settings: string;
}

function describe(u: NgspUpstream, f: Failure): string {
  switch (f.kind) {
    case 'deadline':
      return `no answer within ${f.timeoutMs} ms`;
    case 'aborted':
      return 'the call was aborted by its caller';
    case 'transport':
      return f.code !== undefined && TRANSPORT_CODE.test(f.code) ? `${f.code}: no answer` : 'connection error: no answer';
    case 'malformed':
      return `malformed answer: ${f.reason}`;
    case 'http': {
      const code = oauthErrorCode(f.body);
      return `HTTP ${f.status} from ${f.phase === 'token' ? 'the token endpoint' : u.operation}${code ? ` (${code})` : ''}`;
    }
  }
}

function retryAfter(f: Failure): { retryAfterSeconds?: number } {
  const seconds = f.kind === 'http' ? retryAfterSeconds(f.retryAfter) : undefined;
  return seconds === undefined ? {} : { retryAfterSeconds: seconds };
}

/**
 * The table. Bad client credentials (any 4xx from the token endpoint) and a lookup that refuses a
 * freshly issued token are our configuration problem, not the officer's and not a payload the
 * registry refused: they answer 503 upstream_unavailable (reason `credentials`) with a message
 * naming the settings to check, and count as failures so the circuit and ops see them.
 */
export function toUpstreamError(u: NgspUpstream, f: Failure): UpstreamError {
  const upstream = u.upstream;
  const message = `${upstream}: ${describe(u, f)}`;
  const timeoutMs = 'timeoutMs' in f ? f.timeoutMs : 0;
  const cause = f.kind === 'transport' ? { cause: f.cause } : undefined;
  switch (classify(f)) {
    case 'timeout':
      return new UpstreamTimeout(message, { upstream, timeoutMs }, cause);
    case 'connection':
      return new UpstreamUnavailable(message, { upstream, reason: 'connection' }, cause);
    case 'http_5xx':
      return new UpstreamUnavailable(message, { upstream, reason: 'http_5xx', ...retryAfter(f) });
    case 'rate_limited':
      return new UpstreamUnavailable(message, { upstream, reason: 'rate_limited', ...retryAfter(f) });
    case 'credentials':
      return new UpstreamUnavailable(`${message}; check ${u.settings}`, { upstream, reason: 'credentials' });
    case 'token_refused':
      return new UpstreamUnavailable(`${message} with a freshly issued token; check that the client may call this service`, { upstream, reason: 'credentials' });
    case 'rejected': {
      const code = f.kind === 'http' ? oauthErrorCode(f.body) : null;
      return new UpstreamRejected(`${message}: the registry refused the lookup`, { upstream, upstreamCode: code, upstreamMessage: null });
    }
    case 'malformed':
      return new UpstreamBadResponse(message, { upstream }, cause);
  }
}

/** Runs a reader; an UnexpectedAnswer becomes UpstreamBadResponse. */
export function readOrBadResponse<T>(u: NgspUpstream, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof UnexpectedAnswer) throw toUpstreamError(u, { kind: 'malformed', reason: error.message });
    throw error;
  }
}

/** Lifetime of a token whose answer has no `expires_in` (UPSTREAMS.md §3). */
const DEFAULT_TOKEN_LIFETIME_S = 300;

export interface IssuedToken {
  accessToken: string;
  lifetimeMs: number;
}

/** Reads the answer of `POST /token`. Throws the core's errors. */
export function tokenOutcome(u: NgspUpstream, answer: WireAnswer): IssuedToken {
  if (answer.status !== 200) throw toUpstreamError(u, { kind: 'http', phase: 'token', ...answer });
  return readOrBadResponse(u, () => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.body);
    } catch {
      throw new UnexpectedAnswer('the token answer is not JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UnexpectedAnswer('the token answer is not an object');
    const { access_token: accessToken, token_type: type, expires_in: expiresIn } = parsed as Record<string, unknown>;
    if (typeof accessToken !== 'string' || accessToken === '') throw new UnexpectedAnswer('the token answer has no access_token');
    if (type !== undefined && type !== null && (typeof type !== 'string' || type.toLowerCase() !== 'bearer')) {
      throw new UnexpectedAnswer('the token answer is not a Bearer token');
    }
    return { accessToken, lifetimeMs: lifetimeSeconds(expiresIn) * 1000 };
  });
}

/** `expires_in`: absent means DEFAULT_TOKEN_LIFETIME_S; some servers send it as a digit string. */
function lifetimeSeconds(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_TOKEN_LIFETIME_S;
  const seconds = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(seconds) || seconds < 0) throw new UnexpectedAnswer('the token answer has an invalid expires_in');
  return seconds;
}
