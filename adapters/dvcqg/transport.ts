/**
 * The adapter's HTTP: POSTs of JSON text over undici's connection pool, each answer read as text up to
 * a size limit. undici rather than axios or node:http: on the delivery path the HTTP client was the
 * gateway's largest cost (docs/sync-state.md, "Where the time goes"); undici parses responses with
 * llhttp in WebAssembly, keeps its sockets without the per-request Agent bookkeeping of node:http,
 * and has none of axios' per-call config merging and interceptor chain.
 */
import { Agent, request } from 'undici';
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

  constructor(private readonly defaultHeaders: Record<string, string>) {}

  /** One POST; the answer whatever its status, or a transport error (the caller translates it). */
  async post(url: string, body: string, signal: AbortSignal): Promise<HttpAnswer> {
    const response = await request(url, {
      method: 'POST',
      dispatcher: this.agent,
      headers: this.defaultHeaders,
      body,
      signal,
      // The caller's deadline bounds the whole call; these only stop a socket that went quiet.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_ANSWER_BYTES) {
      response.body.destroy();
      throw tooLarge(`${declared} bytes declared`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES) {
        response.body.destroy();
        throw tooLarge('more than that sent');
      }
      chunks.push(chunk);
    }
    return { status: response.statusCode, headers: response.headers, text: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8') };
  }

  close(): void {
    void this.agent.destroy().catch(() => undefined);
  }
}

function tooLarge(how: string): UpstreamBadResponse {
  return new UpstreamBadResponse(`DVCQG answer is larger than ${MAX_ANSWER_BYTES} bytes (${how}); not read further`, { upstream: UPSTREAM });
}
