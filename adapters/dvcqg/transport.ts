/**
 * The adapter's HTTP: POSTs of JSON text over undici's connection pool, each answer read as text up to
 * a size limit. undici rather than axios or node:http: on the delivery path the HTTP client was the
 * gateway's largest cost (docs/sync-state.md, "Where the time goes"); undici parses responses with
 * llhttp in WebAssembly, keeps its sockets without the per-request Agent bookkeeping of node:http,
 * and has none of axios' per-call config merging and interceptor chain.
 */
import { Agent, type Dispatcher } from 'undici';
import { UpstreamBadResponse } from '../../src/domain/errors.js';
import { UPSTREAM } from './mapping.js';

/** An answer larger than this is not the portal's (UPSTREAMS.md §1): read no further. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export class PortalTransport {
  private readonly agent = new Agent({ keepAliveTimeout: 30_000, connections: 256, pipelining: 1 });
  /** Origin and path of each URL posted to (the adapter posts to two), parsed once. */
  private readonly targets = new Map<string, { origin: string; path: string }>();

  constructor(private readonly defaultHeaders: Record<string, string>) {}

  /**
   * One POST; the answer whatever its status, or a transport error (the caller translates it). Made
   * with undici's dispatch and a handler that gathers the answer's bytes: no response stream to build
   * and iterate for an answer of a few hundred bytes.
   */
  post(url: string, body: string, signal: AbortSignal): Promise<HttpAnswer> {
    let target = this.targets.get(url);
    if (!target) {
      const u = new URL(url);
      target = { origin: u.origin, path: `${u.pathname}${u.search}` };
      this.targets.set(url, target);
    }
    return new Promise<HttpAnswer>((resolve, reject) => {
      const handler = new AnswerHandler(signal, resolve, reject);
      if (signal.aborted) return handler.fail(abortReason(signal));
      signal.addEventListener('abort', handler.onAbort, { once: true });
      this.agent.dispatch(
        {
          origin: target.origin,
          path: target.path,
          method: 'POST',
          headers: this.defaultHeaders,
          body,
          // The caller's deadline bounds the whole call; these only stop a socket that went quiet.
          headersTimeout: 0,
          bodyTimeout: 0,
        },
        handler,
      );
    });
  }

  close(): void {
    void this.agent.destroy().catch(() => undefined);
  }
}

/** Gathers one answer up to MAX_ANSWER_BYTES; the caller's signal aborts it. */
class AnswerHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private status = 0;
  private headers: Record<string, string | string[] | undefined> = {};
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private done = false;

  constructor(
    private readonly signal: AbortSignal,
    private readonly resolve: (answer: HttpAnswer) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  readonly onAbort = (): void => {
    const reason = abortReason(this.signal);
    this.controller?.abort(reason);
    this.fail(reason);
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.done) controller.abort(abortReason(this.signal));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return;
    this.status = statusCode;
    this.headers = headers;
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_ANSWER_BYTES) this.tooLarge(controller, `${declared} bytes declared`);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.done) return;
    this.size += chunk.length;
    if (this.size > MAX_ANSWER_BYTES) return this.tooLarge(controller, 'more than that sent');
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.done) return;
    this.finish();
    const text = this.chunks.length === 1 ? this.chunks[0]!.toString('utf8') : Buffer.concat(this.chunks).toString('utf8');
    this.resolve({ status: this.status, headers: this.headers, text });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(error);
  }

  fail(error: unknown): void {
    if (this.done) return;
    this.finish();
    this.reject(error);
  }

  private tooLarge(controller: Dispatcher.DispatchController, how: string): void {
    const error = tooLarge(how);
    this.fail(error);
    controller.abort(error);
  }

  private finish(): void {
    this.done = true;
    this.signal.removeEventListener('abort', this.onAbort);
  }
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error('This operation was aborted') as Error & { code: string };
  error.code = 'UND_ERR_ABORTED';
  return error;
}

function tooLarge(how: string): UpstreamBadResponse {
  return new UpstreamBadResponse(`DVCQG answer is larger than ${MAX_ANSWER_BYTES} bytes (${how}); not read further`, { upstream: UPSTREAM });
}
