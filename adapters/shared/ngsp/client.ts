/**
 * A registry's REST protocol through NGSP (shared/UPSTREAMS.md §3, and §4 shaped like it): an OAuth2
 * client-credentials token, cached and shared by every caller, and GET lookups with it, repeated once
 * with a new token after a 401. Transport is an undici pool of kept-alive connections per registry;
 * answers are bounded (`maxBodyBytes`) and read as text, so the mapping sees malformed JSON and keeps
 * identifiers as strings. Every failure leaves as one of the core's errors (errors.ts).
 */
import type { Logger } from 'pino';
import { Pool, type Dispatcher } from 'undici';
import { isUpstreamError } from '../../../src/domain/errors.js';
import { DeadlineExceeded, type CallContext } from '../../../src/ports/call-context.js';
import { untilAborted } from '../abort.js';
import { requestText, type TextRequestLimits } from '../http-text.js';
import { tokenOutcome, toUpstreamError, type NgspUpstream, type WireAnswer } from './errors.js';

export interface NgspClientOptions extends NgspUpstream {
  /** Base URL; `/token` and the lookup paths are appended. */
  url: string;
  clientId: string;
  clientSecret: string;
  /** Sent as `X-Road-Client` on every request. */
  xroadClient: string;
  /** The most one lookup may take, token requests and the repeat after a 401 included. */
  timeoutMs: number;
  /** Largest answer read; a longer one is a bad answer. Default 2 MiB. */
  maxBodyBytes?: number;
  /** Connections kept to the registry. Default 64. */
  connections?: number;
  logger?: Logger;
}

/** What a registry behind NGSP is connected with: its client's options, less the protocol's table. */
export type NgspConnectionOptions = Pick<NgspClientOptions, 'url' | 'clientId' | 'clientSecret' | 'xroadClient' | 'timeoutMs' | 'logger'>;

/**
 * A registry factory's checks of its options, named after the factory so a wiring mistake says where
 * it is; returns the timeout to use (the option, else `defaultTimeoutMs`).
 */
export function checkConnectionOptions(
  factory: string,
  options: Omit<NgspConnectionOptions, 'timeoutMs'> & { timeoutMs?: number },
  defaultTimeoutMs: number,
): number {
  for (const key of ['url', 'clientId', 'clientSecret', 'xroadClient'] as const) {
    if (typeof options[key] !== 'string' || options[key] === '') throw new TypeError(`${factory}: "${key}" is required`);
  }
  if (!URL.canParse(options.url)) throw new TypeError(`${factory}: "url" is not a URL`);
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new TypeError(`${factory}: "timeoutMs" must be a positive integer`);
  return timeoutMs;
}

interface CachedToken {
  value: string;
  /** After this instant (epoch ms) less than a tenth of the token's life is left: fetch another. */
  refreshAt: number;
}

/** A token is replaced once less than this share of its life is left (UPSTREAMS.md §3). */
const REFRESH_WHEN_LEFT = 0.1;
export const DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024;
export const TOKEN_PATH = '/token';

const DEADLINE = Symbol('ngsp deadline');

class BodyTooLarge extends Error {
  readonly code = 'BODY_TOO_LARGE';
}

/** undici's own timeouts; everything else without an answer is a connection failure. */
const TIMEOUT_CODES: ReadonlySet<string> = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export class NgspClient {
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly basic: string;
  private readonly limits: TextRequestLimits;
  private token: CachedToken | null = null;
  /** The one token request in flight, which every caller needing a token shares. */
  private tokenRequest: Promise<CachedToken> | null = null;

  constructor(private readonly options: NgspClientOptions) {
    const base = new URL(options.url);
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.pool = new Pool(base.origin, {
      connections: options.connections ?? 64,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connectTimeout: Math.min(options.timeoutMs, 10_000),
      keepAliveTimeout: 30_000,
    });
    this.basic = `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64')}`;
    const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.limits = {
      maxBytes,
      tooLarge: (declared) => new BodyTooLarge(declared === null ? `the answer is over ${maxBytes} bytes` : `the answer declares ${declared} bytes, over ${maxBytes}`),
    };
  }

  /**
   * GET `path?query` with the bearer token; a 401 fetches a new token once and repeats. `read` turns
   * the answer into the result (and throws the core's errors for the ones that are failures).
   */
  async get<T>(path: string, query: Readonly<Record<string, string>>, context: CallContext | undefined, read: (answer: WireAnswer) => T): Promise<T> {
    const target = `${this.basePath}${path}?${new URLSearchParams(query).toString()}`;
    return this.withDeadline(context, async (signal) => {
      let token = this.freshToken() ?? (await this.currentToken(signal));
      let answer = await this.request('GET', target, { authorization: `Bearer ${token}` }, undefined, signal);
      if (answer.status === 401) {
        // The token expired or was revoked early: one new token, one more try (UPSTREAMS.md §3).
        this.options.logger?.info({ upstream: this.options.upstream, requestId: context?.requestId }, `${this.options.upstream} refused its token; fetching a new one`);
        if (this.token?.value === token) this.token = null;
        token = await this.currentToken(signal);
        answer = await this.request('GET', target, { authorization: `Bearer ${token}` }, undefined, signal);
      }
      return read(answer);
    });
  }

  /** Releases kept-alive connections and forgets the token. */
  close(): void {
    this.token = null;
    this.pool.destroy().catch(() => undefined);
  }

  private async request(method: string, path: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal): Promise<WireAnswer> {
    const answer = await requestText(
      this.pool,
      {
        method: method as Dispatcher.HttpMethod,
        path,
        headers: { accept: 'application/json', 'x-road-client': this.options.xroadClient, ...headers },
        ...(body !== undefined ? { body } : {}),
      },
      signal,
      this.limits,
    );
    const retryAfter = answer.headers['retry-after'];
    return { status: answer.status, body: answer.text, retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined };
  }

  /** The cached token while it is fresh (no wait for a promise on the common path). */
  private freshToken(): string | undefined {
    const cached = this.token;
    return cached && Date.now() < cached.refreshAt ? cached.value : undefined;
  }

  private currentToken(signal: AbortSignal): Promise<string> {
    const fresh = this.freshToken();
    if (fresh !== undefined) return Promise.resolve(fresh);
    if (!this.tokenRequest) {
      this.tokenRequest = this.requestToken().finally(() => {
        this.tokenRequest = null;
      });
    }
    // Not tied to one caller's signal: a caller giving up must not fail the others sharing it.
    return untilAborted(this.tokenRequest, signal, (reason) => reason).then((t) => t.value);
  }

  private async requestToken(): Promise<CachedToken> {
    const requestedAt = Date.now();
    // The token request has its own deadline: no caller's signal may cancel what others share.
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    let answer: WireAnswer;
    try {
      answer = await this.request(
        'POST',
        `${this.basePath}${TOKEN_PATH}`,
        { authorization: this.basic, 'content-type': 'application/x-www-form-urlencoded' },
        'grant_type=client_credentials',
        signal,
      );
    } catch (error) {
      throw signal.aborted ? toUpstreamError(this.options, { kind: 'deadline', timeoutMs: this.options.timeoutMs }) : this.transportFailure(error);
    }
    const issued = tokenOutcome(this.options, answer);
    // Counted from before the request, so our idea of the expiry is never later than the registry's.
    const token = { value: issued.accessToken, refreshAt: requestedAt + issued.lifetimeMs * (1 - REFRESH_WHEN_LEFT) };
    this.token = token;
    this.options.logger?.debug({ upstream: this.options.upstream, lifetimeMs: issued.lifetimeMs }, `${this.options.upstream} token issued`);
    return token;
  }

  /**
   * Runs one lookup under a deadline of `timeoutMs` for all of it (token, lookup, the repeat after
   * a 401), also ended by the caller's signal. A caller whose own deadline comes no later (the guard's)
   * is relied on for it: no second timer.
   */
  private async withDeadline<T>(context: CallContext | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { timeoutMs } = this.options;
    const caller = context?.signal;
    if (caller && context?.deadlineAt !== undefined && context.deadlineAt <= Date.now() + timeoutMs) {
      try {
        return await work(caller);
      } catch (error) {
        throw this.failure(error, caller, caller.reason instanceof DeadlineExceeded);
      }
    }
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(DEADLINE), timeoutMs);
    const onCallerAbort = () => deadline.abort(caller?.reason);
    if (caller?.aborted) onCallerAbort();
    else caller?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      return await work(deadline.signal);
    } catch (error) {
      throw this.failure(error, deadline.signal, deadline.signal.reason === DEADLINE);
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onCallerAbort);
    }
  }

  /** What a failed lookup leaves as: the core's errors as they are; anything once `signal` aborted, an abort (a deadline or not). */
  private failure(error: unknown, signal: AbortSignal, deadlinePassed: boolean): unknown {
    if (isUpstreamError(error)) return error;
    // Whatever failed once the deadline or the caller aborted, it failed because of the abort.
    if (signal.aborted) {
      const timeoutMs = signal.reason instanceof DeadlineExceeded ? signal.reason.timeoutMs : this.options.timeoutMs;
      return toUpstreamError(this.options, { kind: deadlinePassed ? 'deadline' : 'aborted', timeoutMs });
    }
    return this.transportFailure(error);
  }

  /** A transport error → the core's error. */
  private transportFailure(error: unknown): unknown {
    if (error instanceof BodyTooLarge) return toUpstreamError(this.options, { kind: 'malformed', reason: error.message });
    const code = (error as { code?: unknown })?.code ?? ((error as { cause?: { code?: unknown } })?.cause?.code);
    const codeText = typeof code === 'string' ? code : undefined;
    if (codeText !== undefined && TIMEOUT_CODES.has(codeText)) {
      return toUpstreamError(this.options, { kind: 'deadline', timeoutMs: this.options.timeoutMs });
    }
    return toUpstreamError(this.options, { kind: 'transport', code: codeText, message: String((error as Error)?.message ?? error), timeoutMs: this.options.timeoutMs, cause: error });
  }
}
