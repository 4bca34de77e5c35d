/**
 * DVCQG over HTTP: one connection pool (transport.ts), one session shared by every caller, and the
 * services the gateway uses, each a method over `call()`. Every outcome leaves as the core's errors
 * (see mapping.ts); the session token and the password never reach a log line or an error.
 */
import type { Logger } from 'pino';
import { MAX_PROGRESS_PER_CALL, type PortalDossier, type ProgressItem } from '../../src/domain/dossier.js';
import { UpstreamBadResponse, UpstreamRejected, UpstreamTimeout, isUpstreamError } from '../../src/domain/errors.js';
import type { CallContext } from '../../src/ports/call-context.js';
import type { NationalPortal } from '../../src/ports/national-portal.js';
import { UPSTREAM, answerKind, authFailed, rejection, translateHttp, translateTransportError, type PortalAnswer } from './mapping.js';
import { untilAborted } from '../shared/abort.js';
import type { DvcqgPortalOptions } from './options.js';
import { PortalTransport } from './transport.js';

/** Tries of one login before its waiters are told it failed: one failed request must not fail them all. */
const LOGIN_TRIES = 3;
const LOGIN_RETRY_DELAY_MS = 100;
/**
 * Each login request has this share of the call deadline: every caller whose session expired waits on
 * one login, so a hung login request must be given up (and tried again) well before their deadlines.
 */
const LOGIN_TIMEOUT_SHARE = 0.25;
/** Sends of one call with a session the portal refused, each after a fresh login, before giving up. */
const SESSION_TRIES = 3;

/** The factory's options, with the timeout's default already applied. */
export type DvcqgClientSettings = DvcqgPortalOptions & { timeoutMs: number };

type IsUpdating = 'True' | 'False';

export class DvcqgClient implements NationalPortal {
  private readonly http: PortalTransport;
  private session: string | null = null;
  /** The login in flight, shared so that concurrent callers cause one login, not one each. */
  private pendingLogin: Promise<string> | null = null;
  private readonly log: Logger | undefined;

  constructor(private readonly settings: DvcqgClientSettings) {
    this.log = settings.logger?.child({ upstream: UPSTREAM });
    this.http = new PortalTransport({ 'content-type': 'application/json; charset=utf-8', accept: 'application/json', dstcode: settings.dstcode });
  }

  async syncDossier(dossier: PortalDossier, options: { knownToPortal: boolean }, context: CallContext = {}): Promise<void> {
    const first: IsUpdating = options.knownToPortal ? 'True' : 'False';
    let answer = await this.dongBo(dossier, first, context);
    let kind = answerKind(answer);
    // The portal's record of what it holds beats ours: switch once, then its answer stands.
    if ((first === 'False' && kind === 'already_exists') || (first === 'True' && kind === 'unknown_for_update')) {
      const second: IsUpdating = first === 'True' ? 'False' : 'True';
      this.log?.info({ maHoSo: dossier.MaHoSo, requestId: context.requestId, isUpdating: second }, 'DVCQG: sending the dossier again with isUpdating switched');
      answer = await this.dongBo(dossier, second, context);
      kind = answerKind(answer);
    }
    if (kind !== 'success') throw rejection('DongBoHoSoMC', answer);
  }

  async updateProgress(items: ProgressItem[], context: CallContext = {}): Promise<void> {
    if (items.length === 0) return;
    if (items.length > MAX_PROGRESS_PER_CALL) {
      // Refused here exactly as the portal would refuse it (assumed error_code 2), without a call.
      throw new UpstreamRejected(`CapNhatTienDoHoSoMC takes at most ${MAX_PROGRESS_PER_CALL} items a call, got ${items.length}`, {
        upstream: UPSTREAM,
        upstreamCode: '2',
        upstreamMessage: `at most ${MAX_PROGRESS_PER_CALL} progress items per call`,
      });
    }
    const answer = await this.call('CapNhatTienDoHoSoMC', { data: items }, context);
    if (answerKind(answer) !== 'success') throw rejection('CapNhatTienDoHoSoMC', answer);
  }

  async findDossier(maHoSo: string, context: CallContext = {}): Promise<PortalDossier | null> {
    const answer = await this.call('TraCuuHoSo', { MaHoSo: maHoSo }, context);
    if (answerKind(answer) !== 'success') throw rejection('TraCuuHoSo', answer);
    const result = answer.body.result;
    if (result === undefined || result === null) return null;
    if (!Array.isArray(result)) throw new UpstreamBadResponse('DVCQG TraCuuHoSo: "result" is not a list', { upstream: UPSTREAM });
    const first: unknown = result[0];
    if (first === undefined) return null;
    if (typeof first !== 'object' || first === null || Array.isArray(first)) {
      throw new UpstreamBadResponse('DVCQG TraCuuHoSo: "result[0]" is not a dossier object', { upstream: UPSTREAM });
    }
    return first as PortalDossier;
  }

  /** Frees the kept-alive connections; calls made afterwards open new ones. */
  close(): void {
    this.http.close();
  }

  private dongBo(dossier: PortalDossier, isUpdating: IsUpdating, context: CallContext): Promise<PortalAnswer> {
    return this.call('DongBoHoSoMC', { isUpdating, data: [dossier] }, context);
  }

  /**
   * One service call under the shared session. Resolves with the portal's answer whatever its code,
   * except a refused session, which is answered by one fresh login and one repeat.
   */
  private async call(service: string, params: Record<string, unknown>, context: CallContext): Promise<PortalAnswer> {
    const send = async (session: string) =>
      this.post(this.settings.apiUrl, { session, madonvi: this.settings.madonvi, service, ...params }, context.signal);
    const started = performance.now();
    let session = await this.currentSession(context.signal);
    let answer = await send(session);
    // A session may expire again while a call waits for the new one (the portal expires sessions
    // often under load): log in again a bounded number of times; refused every time, the login is wrong.
    for (let refusals = 1; answerKind(answer) === 'session_invalid'; refusals++) {
      this.forget(session);
      if (refusals >= SESSION_TRIES) throw authFailed(`a fresh session was refused by ${service} (error_code ${answer.code})`);
      this.log?.warn({ service, requestId: context.requestId, errorCode: answer.code }, 'DVCQG session refused; logging in again');
      session = await this.currentSession(context.signal);
      answer = await send(session);
    }
    this.log?.debug(
      { service, requestId: context.requestId, errorCode: answer.code, ms: Math.round(performance.now() - started) },
      `DVCQG ${service} answered`,
    );
    return answer;
  }

  private async currentSession(signal: AbortSignal | undefined): Promise<string> {
    if (this.session !== null) return this.session;
    if (signal?.aborted) throw callerAborted(this.settings.timeoutMs);
    if (this.pendingLogin === null) {
      // Not tied to one caller's signal, since others may wait on it; it has its own deadline. Every
      // waiter may have given up by the time it fails, hence the handler that keeps it from going unhandled.
      const login = this.login().finally(() => {
        this.pendingLogin = null;
      });
      login.catch(() => undefined);
      this.pendingLogin = login;
    }
    return untilAborted(this.pendingLogin, signal, () => callerAborted(this.settings.timeoutMs));
  }

  /** Drops `session` unless another caller already replaced it, so one expiry causes one login. */
  private forget(session: string): void {
    if (this.session === session) this.session = null;
  }

  /**
   * Logs in, trying again at once after a failed request (not after a refusal of the credentials):
   * every caller whose session expired waits on this one login, so one lost request would otherwise
   * fail them all together, a burst that looks like an outage to the circuit breaker.
   */
  private async login(): Promise<string> {
    const { authUrl, username, password } = this.settings;
    let answer: PortalAnswer | undefined;
    for (let tryNumber = 1; answer === undefined; tryNumber++) {
      try {
        answer = await this.post(authUrl, { username, password }, undefined, Math.max(1, Math.ceil(this.settings.timeoutMs * LOGIN_TIMEOUT_SHARE)));
      } catch (error) {
        // A refusal of the login is about credentials, not about any dossier: never a rejection.
        if (isUpstreamError(error) && error.code === 'upstream_rejected') throw authFailed(error.message);
        if (tryNumber >= LOGIN_TRIES || !isUpstreamError(error)) throw error;
        this.log?.warn({ err: error.message, try: tryNumber }, 'DVCQG login request failed; trying again');
        await new Promise((resolve) => setTimeout(resolve, LOGIN_RETRY_DELAY_MS * tryNumber));
      }
    }
    if (answerKind(answer) !== 'success') throw authFailed(`error_code ${answer.code}${answer.message ? ` (${answer.message})` : ''}`);
    const session = answer.body.session;
    if (typeof session !== 'string' || session === '') {
      throw new UpstreamBadResponse('DVCQG login answered success without a session', { upstream: UPSTREAM });
    }
    this.session = session;
    this.log?.info('DVCQG login succeeded');
    return session;
  }

  /** One POST under the adapter's deadline and the caller's signal; the answer or the core's error. */
  private async post(url: string, body: Record<string, unknown>, signal: AbortSignal | undefined, timeoutMs = this.settings.timeoutMs): Promise<PortalAnswer> {
    const deadline = new AbortController();
    let timedOut = false;
    // Bounds the whole call, a trickling answer too.
    const timer = setTimeout(() => {
      timedOut = true;
      deadline.abort();
    }, timeoutMs);
    // The caller's signal ends the call too (a listener: cheaper than AbortSignal.any on every request).
    const onCallerAbort = () => deadline.abort();
    if (signal?.aborted) deadline.abort();
    else signal?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      const response = await this.http.post(url, JSON.stringify(body), deadline.signal);
      const outcome = translateHttp(response.status, response.headers, response.text);
      if (outcome instanceof Error) throw outcome;
      return outcome;
    } catch (error) {
      if (isUpstreamError(error)) throw error;
      const translated = translateTransportError(error, { timeoutMs, timedOut, callerAborted: signal?.aborted ?? false });
      throw translated ?? error;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onCallerAbort);
    }
  }
}

function callerAborted(timeoutMs: number): UpstreamTimeout {
  return new UpstreamTimeout('DVCQG call aborted by the caller', { upstream: UPSTREAM, timeoutMs });
}
