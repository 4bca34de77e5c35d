/**
 * One HTTP request over an undici dispatcher whose answer is gathered as text, bounded in size, with no
 * response stream: undici's `dispatch` and a handler that keeps the chunks. The upstreams answer a few
 * hundred bytes to a few kilobytes, for which building a Readable and iterating it cost more than the
 * parsing itself (docs/sync-state.md, "Where the time goes"). The caller's signal aborts the request.
 */
import type { Dispatcher } from 'undici';

export interface TextAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface TextRequestLimits {
  /** Largest answer read; past it the request is aborted with `tooLarge`'s error. */
  maxBytes: number;
  /** The error for an answer over `maxBytes`: the length it declared, or null when it sent more than that. */
  tooLarge: (declaredBytes: number | null) => Error;
}

/** Sends `options` through `dispatcher`; the answer whatever its status, or the transport's error. */
export function requestText(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, signal: AbortSignal, limits: TextRequestLimits): Promise<TextAnswer> {
  return new Promise<TextAnswer>((resolve, reject) => {
    const handler = new TextHandler(signal, limits, resolve, reject);
    if (signal.aborted) return handler.fail(abortReason(signal));
    signal.addEventListener('abort', handler.onAbort, { once: true });
    dispatcher.dispatch(options, handler);
  });
}

class TextHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private status = 0;
  private headers: TextAnswer['headers'] = {};
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private done = false;

  constructor(
    private readonly signal: AbortSignal,
    private readonly limits: TextRequestLimits,
    private readonly resolve: (answer: TextAnswer) => void,
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

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: TextAnswer['headers']): void {
    // 1xx answers come before the real one.
    if (statusCode < 200) return;
    this.status = statusCode;
    this.headers = headers;
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > this.limits.maxBytes) this.tooLarge(controller, declared);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.done) return;
    this.size += chunk.length;
    if (this.size > this.limits.maxBytes) return this.tooLarge(controller, null);
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

  private tooLarge(controller: Dispatcher.DispatchController, declaredBytes: number | null): void {
    const error = this.limits.tooLarge(declaredBytes);
    this.fail(error);
    controller.abort(error);
  }

  private finish(): void {
    this.done = true;
    this.signal.removeEventListener('abort', this.onAbort);
  }
}

/** The signal's reason when it is an error, else an abort error as undici names it. */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error('This operation was aborted') as Error & { code: string };
  error.code = 'UND_ERR_ABORTED';
  return error;
}
