/**
 * The adapter's HTTP: POSTs of JSON text over undici's connection pool, each answer read as text up to
 * a size limit. undici rather than axios or node:http: on the delivery path the HTTP client was the
 * gateway's largest cost (docs/sync-state.md, "Where the time goes"); undici parses responses with
 * llhttp in WebAssembly, keeps its sockets without the per-request Agent bookkeeping of node:http,
 * and has none of axios' per-call config merging and interceptor chain.
 */
import { Agent } from 'undici';
import { UpstreamBadResponse } from '../../src/domain/errors.js';
import { requestText, type TextAnswer } from '../shared/http-text.js';
import { UPSTREAM } from './mapping.js';

/** An answer larger than this is not the portal's (UPSTREAMS.md §1): read no further. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

export type HttpAnswer = TextAnswer;

const LIMITS = { maxBytes: MAX_ANSWER_BYTES, tooLarge };

export class PortalTransport {
  private readonly agent = new Agent({ keepAliveTimeout: 30_000, connections: 256, pipelining: 1 });
  /** Origin and path of each URL posted to (the adapter posts to two), parsed once. */
  private readonly targets = new Map<string, { origin: string; path: string }>();

  constructor(private readonly defaultHeaders: Record<string, string>) {}

  /** One POST; the answer whatever its status, or a transport error (the caller translates it). */
  post(url: string, body: string, signal: AbortSignal): Promise<HttpAnswer> {
    let target = this.targets.get(url);
    if (!target) {
      const u = new URL(url);
      target = { origin: u.origin, path: `${u.pathname}${u.search}` };
      this.targets.set(url, target);
    }
    const options = {
      origin: target.origin,
      path: target.path,
      method: 'POST' as const,
      headers: this.defaultHeaders,
      body,
      // The caller's deadline bounds the whole call; these only stop a socket that went quiet.
      headersTimeout: 0,
      bodyTimeout: 0,
    };
    return requestText(this.agent, options, signal, LIMITS);
  }

  close(): void {
    void this.agent.destroy().catch(() => undefined);
  }
}

function tooLarge(declaredBytes: number | null): UpstreamBadResponse {
  const how = declaredBytes === null ? 'more than that sent' : `${declaredBytes} bytes declared`;
  return new UpstreamBadResponse(`DVCQG answer is larger than ${MAX_ANSWER_BYTES} bytes (${how}); not read further`, { upstream: UPSTREAM });
}
