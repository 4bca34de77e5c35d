/**
 * Everything the adapter knows about what DVCQG's answers mean, in one place (shared/UPSTREAMS.md §1):
 * the answer codes it treats specially, marked `assumed` where the public record is silent, and the
 * translation of every other outcome (HTTP status, transport failure, malformed body) into the core's
 * errors. Correcting an assumed value against the official spec means editing this file only.
 */
import {
  UpstreamBadResponse,
  UpstreamRejected,
  UpstreamTimeout,
  UpstreamUnavailable,
  type UpstreamError,
} from '../../src/domain/errors.js';

export { fromPortalTimestamp, isPortalTimestamp, toPortalTimestamp } from '../../src/domain/dates.js';

/** The name errors, logs and metrics carry for this upstream. */
export const UPSTREAM = 'dvcqg';

export type PortalCodeKind = 'success' | 'already_exists' | 'unknown_for_update' | 'session_invalid' | 'too_many_progress_items';

interface PortalCodeRow {
  kind: PortalCodeKind;
  /** `error_code` in string form; a number `3` and a string `"3"` are the same code. */
  codes: readonly string[];
  /** Text the message contains (case-insensitive), or null when the code alone decides. */
  messageContains: string | null;
  /** True where shared/UPSTREAMS.md says the value is assumed, not taken from production code. */
  assumed: boolean;
  meaning: string;
}

/** Answer codes with a meaning of their own; any other non-zero code is a rejection of the payload. */
export const PORTAL_CODES: readonly PortalCodeRow[] = [
  { kind: 'success', codes: ['0', '00'], messageContains: null, assumed: false, meaning: 'accepted' },
  {
    kind: 'already_exists',
    codes: ['3', '-3'],
    messageContains: 'đã tồn tại',
    assumed: false,
    meaning: 'DongBoHoSoMC isUpdating "False" for a dossier the portal holds: send again with "True"',
  },
  {
    kind: 'unknown_for_update',
    codes: ['4'],
    messageContains: 'không tồn tại',
    assumed: true,
    meaning: 'DongBoHoSoMC isUpdating "True" for a dossier the portal lacks: send again with "False"',
  },
  {
    // A 401 alone is taken as an expired session (its message usually names "session"): logging in
    // again once costs one call, while missing a differently worded expiry would stop every delivery.
    // `http_401` is an HTTP 401 answered without the portal's JSON body.
    kind: 'session_invalid',
    codes: ['401', 'http_401'],
    messageContains: null,
    assumed: true,
    meaning: 'session invalid or expired: log in again once and repeat the call',
  },
  {
    kind: 'too_many_progress_items',
    codes: ['2'],
    messageContains: null,
    assumed: true,
    meaning: 'CapNhatTienDoHoSoMC with more than 10 items, rejected as a whole',
  },
];

/** One answer of the portal, its `error_code` normalised to a string. */
export interface PortalAnswer {
  code: string;
  message: string;
  body: Record<string, unknown>;
}

/** Case- and accent-insensitive: some portal versions answer "Ho so da ton tai" without diacritics. */
function normalise(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();
}

/** What an answer means; `rejected` for any non-zero code without a row of its own. */
export function answerKind(answer: Pick<PortalAnswer, 'code' | 'message'>): PortalCodeKind | 'rejected' {
  const row = PORTAL_CODES.find(
    (r) =>
      r.codes.includes(answer.code) &&
      (r.messageContains === null || normalise(answer.message).includes(normalise(r.messageContains))),
  );
  return row?.kind ?? 'rejected';
}

export function isSuccess(answer: Pick<PortalAnswer, 'code' | 'message'>): boolean {
  return answerKind(answer) === 'success';
}

/** `error_code` as a string, or null when it is neither a number nor a non-empty string. */
export function normaliseCode(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return null;
}

/** The most of the portal's message an error (and so a dead letter, a log line, `lastError`) keeps. */
export const MAX_MESSAGE_CHARS = 1_000;

/** `text` cut to `MAX_MESSAGE_CHARS` characters (code points: a cut never splits a Vietnamese letter). */
export function cutMessage(text: string): string {
  if (text.length <= MAX_MESSAGE_CHARS) return text;
  const points = Array.from(text.slice(0, MAX_MESSAGE_CHARS * 2));
  return points.length <= MAX_MESSAGE_CHARS ? points.join('') : `${points.slice(0, MAX_MESSAGE_CHARS - 1).join('')}…`;
}

/** A non-success answer as the core's non-retryable refusal, keeping the portal's words (cut) for operators. */
export function rejection(service: string, answer: PortalAnswer): UpstreamRejected {
  const message = cutMessage(answer.message);
  return new UpstreamRejected(`DVCQG ${service} refused: error_code ${answer.code}${message ? ` (${message})` : ''}`, {
    upstream: UPSTREAM,
    upstreamCode: answer.code,
    upstreamMessage: message || null,
  });
}

/** Login refused, or a session refused right after a fresh login: credentials or the portal are wrong. */
export function authFailed(detail: string): UpstreamUnavailable {
  // Retryable on purpose: a configuration problem must not turn every dossier into a dead letter.
  return new UpstreamUnavailable(`DVCQG login failed: ${detail}`, { upstream: UPSTREAM, reason: 'auth_failed' });
}

/** Seconds from a Retry-After header (delta-seconds or HTTP-date); undefined when absent or unreadable. */
export function retryAfterSeconds(header: unknown): number | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** Parses the JSON text of an answer; null when it is not an object with a usable `error_code`. */
export function parseAnswer(text: string): PortalAnswer | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const record = body as Record<string, unknown>;
  const code = normaliseCode(record.error_code);
  if (code === null) return null;
  const message = typeof record.message === 'string' ? record.message : record.message == null ? '' : String(record.message);
  return { code, message, body: record };
}

/**
 * An HTTP answer as either the portal's answer (any code, to be interpreted by the caller) or the
 * core's error. Status is checked before the body: a 5xx is retryable whatever it says.
 */
export function translateHttp(status: number, headers: Record<string, unknown>, text: string): PortalAnswer | UpstreamError {
  if (status >= 500) {
    return new UpstreamUnavailable(`DVCQG answered HTTP ${status}`, { upstream: UPSTREAM, reason: 'http_5xx' });
  }
  if (status === 429) {
    const after = retryAfterSeconds(headers['retry-after']);
    return new UpstreamUnavailable(`DVCQG is rate limiting (HTTP 429)`, {
      upstream: UPSTREAM,
      reason: 'rate_limited',
      ...(after === undefined ? {} : { retryAfterSeconds: after }),
    });
  }
  const answer = parseAnswer(text);
  if (answer) return answer;
  if (status === 401) return { code: 'http_401', message: 'HTTP 401', body: {} };
  if (status >= 400) {
    // Only the portal itself refuses a payload, and it says so in its JSON answer. A 4xx without one
    // (a proxy's or firewall's 403/404 page, a 408) is something in between failing: try again later.
    return new UpstreamUnavailable(`DVCQG answered HTTP ${status} without its JSON answer (${describeBody(text)})`, {
      upstream: UPSTREAM,
      reason: 'http_4xx_without_answer',
    });
  }
  return new UpstreamBadResponse(`DVCQG answered HTTP ${status} without its JSON answer (${describeBody(text)})`, {
    upstream: UPSTREAM,
  });
}

function describeBody(text: string): string {
  if (text.trim() === '') return 'empty body';
  if (/^\s*</.test(text)) return 'HTML or XML body';
  return `${text.length} characters that are not an answer object with error_code`;
}

/** Socket-level failures: the request may not have reached the portal, so trying again is right. */
export const CONNECTION_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ERR_NETWORK',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'ERR_SOCKET_CLOSED',
  // undici's
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_INFO',
]);

export interface TransportContext {
  timeoutMs: number;
  /** The adapter's own deadline fired. */
  timedOut: boolean;
  /** The caller's signal was aborted. */
  callerAborted: boolean;
}

/**
 * A failure without an HTTP answer (an undici or Node error) as the core's error. Returns null for errors that
 * are not transport failures (programming errors), which the caller rethrows unchanged.
 */
export function translateTransportError(error: unknown, context: TransportContext): UpstreamError | null {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (context.callerAborted || context.timedOut || code === 'ERR_CANCELED' || code === 'UND_ERR_ABORTED' || code === 'ETIMEDOUT' || code === 'ECONNABORTED') {
    const why = context.callerAborted && !context.timedOut ? 'aborted by the caller' : `timed out after ${context.timeoutMs} ms`;
    return new UpstreamTimeout(`DVCQG call ${why}`, { upstream: UPSTREAM, timeoutMs: context.timeoutMs }, { cause: sanitised(error) });
  }
  if (code === 'ERR_BAD_RESPONSE' || code === 'HPE_INVALID_CONSTANT' || (typeof code === 'string' && code.startsWith('HPE_'))) {
    // The answer stopped half-way: what arrived cannot be trusted, the call may be repeated.
    return new UpstreamBadResponse(`DVCQG answer was cut off: ${message}`, { upstream: UPSTREAM }, { cause: sanitised(error) });
  }
  if ((typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) || /socket hang up|other side closed/i.test(message)) {
    return new UpstreamUnavailable(
      `DVCQG connection failed: ${typeof code === 'string' ? `${code} ` : ''}${message}`,
      { upstream: UPSTREAM, reason: 'connection' },
      { cause: sanitised(error) },
    );
  }
  return null;
}

/**
 * The cause kept on a core error: code and message only. A transport error may carry the request,
 * whose body holds the password or the session, and errors end up in logs.
 */
function sanitised(error: unknown): Error {
  const plain = new Error(error instanceof Error ? error.message : String(error));
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') (plain as Error & { code?: string }).code = code;
  return plain;
}
