/**
 * The benchmarks' HTTP client: plain node:http with a keep-alive agent, the same for the gateway and
 * for the baseline it is compared with, so the client's own cost cancels out of every ratio.
 */
import http from 'node:http';

export interface HttpTarget {
  host: string;
  port: number;
  agent: http.Agent;
}

export interface HttpAnswer {
  status: number;
  body: Buffer;
}

/** A target for `url` (http only) whose agent keeps up to `maxSockets` connections alive. */
export function httpTarget(url: string, maxSockets: number): HttpTarget {
  const u = new URL(url);
  if (u.protocol !== 'http:') throw new Error(`bench client speaks plain http only, got ${url}`);
  return { host: u.hostname, port: Number(u.port || 80), agent: new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets }) };
}

/** One request; resolves with the status and the whole body, rejects on a transport error or after `timeoutMs`. */
export function send(
  target: HttpTarget,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
  timeoutMs = 30_000,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const all: http.OutgoingHttpHeaders = { ...headers };
    if (body !== undefined) all['content-length'] = Buffer.byteLength(body);
    const req = http.request({ host: target.host, port: target.port, agent: target.agent, method, path, headers: all }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Closes the target's kept-alive sockets so the process can exit. */
export function closeTarget(target: HttpTarget): void {
  target.agent.destroy();
}
