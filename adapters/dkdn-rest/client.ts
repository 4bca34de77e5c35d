/**
 * The registry's REST protocol through NGSP (shared/UPSTREAMS.md §3): an OAuth2 client-credentials
 * token, cached and shared, and `chiTietDoanhNghiep` with it. Every failure leaves this file as one
 * of the core's errors, chosen by the table in mapping.ts.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import axios, { isAxiosError, type AxiosInstance, type AxiosResponse } from 'axios';
import type { Logger } from 'pino';
import { isUpstreamError } from '../../src/domain/errors.js';
import type { BusinessRecord } from '../../src/domain/records.js';
import type { CallContext } from '../../src/ports/call-context.js';
import { lookupOutcome, tokenOutcome, toUpstreamError, type WireAnswer } from './mapping.js';
import { untilAborted } from '../shared/abort.js';

export interface DkdnClientOptions {
  url: string;
  clientId: string;
  clientSecret: string;
  xroadClient: string;
  timeoutMs: number;
  logger?: Logger;
}

interface CachedToken {
  value: string;
  /** After this instant (epoch ms) less than a tenth of the token's life is left: fetch another. */
  refreshAt: number;
}

/** A token is replaced once less than this share of its life is left (UPSTREAMS.md §3). */
const REFRESH_WHEN_LEFT = 0.1;

/** Upper bound of an answer body; a business with every line it may trade in stays far below it. */
const MAX_BODY_BYTES = 5 * 1024 * 1024;

export const LOOKUP_PATH = '/apiCSDLDKDN/1.0/chiTietDoanhNghiep';
export const TOKEN_PATH = '/token';

export class DkdnClient {
  private readonly http: AxiosInstance;
  private readonly agents = [new HttpAgent({ keepAlive: true }), new HttpsAgent({ keepAlive: true })] as const;
  private readonly base: string;
  private token: CachedToken | null = null;
  /** The one token request in flight, which every caller needing a token shares. */
  private tokenRequest: Promise<CachedToken> | null = null;

  constructor(private readonly options: DkdnClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.http = axios.create({
      adapter: 'http',
      timeout: options.timeoutMs,
      httpAgent: this.agents[0],
      httpsAgent: this.agents[1],
      headers: { Accept: 'application/json', 'X-Road-Client': options.xroadClient },
      // Bodies are read as text by mapping.ts, so malformed JSON is seen and identifiers stay strings.
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      // A redirect would carry the bearer token to wherever it points.
      maxRedirects: 0,
      maxContentLength: MAX_BODY_BYTES,
    });
  }

  /** The business with this code, or null when the registry has none. */
  async findBusiness(enterpriseCode: string, context?: CallContext): Promise<BusinessRecord | null> {
    return this.withDeadline(context, async (signal) => {
      let token = await this.currentToken(signal);
      let answer = await this.lookup(enterpriseCode, token, signal);
      if (answer.status === 401) {
        // The token expired or was revoked early: one new token, one more try (UPSTREAMS.md §3).
        this.options.logger?.info({ upstream: 'dkdn', requestId: context?.requestId }, 'dkdn refused its token; fetching a new one');
        if (this.token?.value === token) this.token = null;
        token = await this.currentToken(signal);
        answer = await this.lookup(enterpriseCode, token, signal);
      }
      return lookupOutcome(answer, enterpriseCode);
    });
  }

  /** Releases kept-alive connections and forgets the token. */
  close(): void {
    for (const agent of this.agents) agent.destroy();
    this.token = null;
  }

  private async lookup(enterpriseCode: string, token: string, signal: AbortSignal): Promise<WireAnswer> {
    const response = await this.http.get<string>(this.base + LOOKUP_PATH, {
      params: { msdn: enterpriseCode },
      headers: { Authorization: `Bearer ${token}` },
      signal,
    });
    return wireAnswer(response);
  }

  private currentToken(signal: AbortSignal): Promise<string> {
    const cached = this.token;
    if (cached && Date.now() < cached.refreshAt) return Promise.resolve(cached.value);
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
    let response: AxiosResponse<string>;
    try {
      response = await this.http.post<string>(this.base + TOKEN_PATH, 'grant_type=client_credentials', {
        auth: { username: this.options.clientId, password: this.options.clientSecret },
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      });
    } catch (error) {
      throw this.transportFailure(error);
    }
    const issued = tokenOutcome(wireAnswer(response));
    // Counted from before the request, so our idea of the expiry is never later than the registry's.
    const token = { value: issued.accessToken, refreshAt: requestedAt + issued.lifetimeMs * (1 - REFRESH_WHEN_LEFT) };
    this.token = token;
    this.options.logger?.debug({ upstream: 'dkdn', lifetimeMs: issued.lifetimeMs }, 'dkdn token issued');
    return token;
  }

  /**
   * Runs one lookup under a deadline of `timeoutMs` for all of it (token, lookup, the repeat after
   * a 401), also ended by the caller's signal; each HTTP request has axios's own timeout as well.
   */
  private async withDeadline<T>(context: CallContext | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { timeoutMs } = this.options;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(DEADLINE), timeoutMs);
    const caller = context?.signal;
    const onCallerAbort = () => deadline.abort(caller?.reason);
    if (caller?.aborted) onCallerAbort();
    else caller?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      return await work(deadline.signal);
    } catch (error) {
      if (isUpstreamError(error)) throw error;
      // Whatever failed once the deadline or the caller aborted, it failed because of the abort.
      if (deadline.signal.aborted) {
        throw toUpstreamError({ kind: deadline.signal.reason === DEADLINE ? 'deadline' : 'aborted', timeoutMs });
      }
      throw this.transportFailure(error);
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onCallerAbort);
    }
  }

  /** An axios error without an answer → the core's error; anything else (a bug) goes on as it is. */
  private transportFailure(error: unknown): unknown {
    if (!isAxiosError(error)) return error;
    return toUpstreamError({ kind: 'transport', code: error.code, message: error.message, timeoutMs: this.options.timeoutMs, cause: error });
  }
}

const DEADLINE = Symbol('dkdn deadline');

function wireAnswer(response: AxiosResponse<string>): WireAnswer {
  const retryAfter = response.headers['retry-after'];
  return {
    status: response.status,
    body: typeof response.data === 'string' ? response.data : '',
    retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined,
  };
}

