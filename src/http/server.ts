/**
 * The HTTP server and what keeps slow or idle clients from holding it (shared/API.md "Conventions"):
 * request headers must arrive within HTTP_HEADERS_TIMEOUT_MS and a whole request within
 * HTTP_REQUEST_TIMEOUT_MS (Node answers 408 and closes), a connection idle past the keep-alive timeout
 * is closed, and the number of connections is capped below the process's open-file limit.
 *
 * Health checks must still answer when a client opens thousands of idle connections, so the cap has
 * headroom: above `maxConnections - reserve` each new connection makes room by closing the connection
 * idle the longest (one with no request in progress: never sent one, sending its headers, or between
 * keep-alive requests), and answers stop keeping connections alive. Only when every connection is busy
 * serving a request does the hard cap refuse new ones.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { RequestListener } from 'node:http';
import type { Logger } from 'pino';
import type { HttpConfig } from '../config.js';
import type { Metrics } from '../ops/metrics.js';

/** File descriptors kept for everything that is not a client connection: Redis, PostgreSQL, upstreams, files. */
const FDS_KEPT = 512;
/** Connections looked at per eviction, so a crowd of busy connections costs a bounded amount per accept. */
const EVICTION_SCAN = 64;
/** How often Node looks for requests past their header or request deadline. */
const CHECK_INTERVAL_MS = 1_000;

/** The soft limit on open files of this process (Linux), or null where it cannot be read. */
export function openFileLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft && /^\d+$/.test(soft) ? Number(soft) : null;
  } catch {
    return null;
  }
}

export interface ConnectionLimits {
  /** New connections past this are refused outright. */
  hard: number;
  /** Past this, idle connections are closed to make room. */
  soft: number;
}

export function connectionLimits(configured: number, fileLimit: number | null): ConnectionLimits {
  const hard = Math.max(16, fileLimit === null ? configured : Math.min(configured, fileLimit - FDS_KEPT));
  const reserve = Math.max(8, Math.min(256, Math.round(hard * 0.05)));
  return { hard, soft: Math.max(1, hard - reserve) };
}

export interface HttpServer {
  server: Server;
  port: number;
  limits: ConnectionLimits;
  /** Connections open now. */
  connections(): number;
}

export async function startHttpServer(handler: RequestListener, config: HttpConfig & { port: number; host: string }, deps: { logger: Logger; metrics: Metrics }): Promise<HttpServer> {
  const { logger, metrics } = deps;
  const server = createServer(
    {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      keepAliveTimeout: config.keepAliveTimeoutMs,
      connectionsCheckingInterval: CHECK_INTERVAL_MS,
    },
    handler,
  );
  const fileLimit = openFileLimit();
  const limits = connectionLimits(config.maxConnections, fileLimit);
  if (limits.hard < config.maxConnections) {
    logger.warn({ configured: config.maxConnections, openFileLimit: fileLimit, used: limits.hard }, 'HTTP_MAX_CONNECTIONS lowered to fit the open-file limit (raise it with ulimit -n)');
  }
  server.maxConnections = limits.hard;

  // Open connections, the one idle the longest first; `busy` while a request is being served.
  const open = new Map<Socket, { busy: boolean }>();
  server.on('connection', (socket: Socket) => {
    open.set(socket, { busy: false });
    socket.once('close', () => open.delete(socket));
    if (open.size > limits.soft) evict(socket);
  });
  server.on('request', (req, res) => {
    const socket = req.socket;
    const state = open.get(socket);
    if (!state) return;
    state.busy = true;
    // Under pressure, answers close their connection instead of keeping it for another request.
    if (open.size > limits.soft) res.shouldKeepAlive = false;
    res.once('close', () => {
      state.busy = false;
      // Idle again from now: it moves to the back of the line.
      if (open.delete(socket) && !socket.destroyed) open.set(socket, state);
    });
  });
  server.on('drop', () => metrics.httpConnectionsRefused.inc());

  function evict(newest: Socket): void {
    let scanned = 0;
    for (const [socket, state] of open) {
      if (open.size <= limits.soft || scanned++ >= EVICTION_SCAN) break;
      if (state.busy || socket === newest) continue;
      open.delete(socket);
      socket.destroy();
      metrics.httpConnectionsShed.inc();
    }
  }

  metrics.onHttpConnections(() => open.size);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  return { server, port, limits, connections: () => open.size };
}
