/**
 * The express application: request ids, access logs and metrics, strict body reading, the route
 * modules, and one error handler that answers problem+json for everything, so no request, however
 * malformed, gets an HTML page or a stack trace.
 */
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { requestContext } from '../logger.js';
import type { Metrics } from '../ops/metrics.js';
import { MAX_BODY_BYTES, UnsupportedMediaType } from './body.js';
import { problem, problemFor, sendProblem } from './problem.js';

export interface AppDeps {
  logger: Logger;
  metrics: Metrics;
  routers: Router[];
}

const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

export function createApp(deps: AppDeps): express.Express {
  const { logger, metrics } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use((req: Request, res: Response, next: NextFunction) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    req.requestId = id;
    res.setHeader('X-Request-Id', id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      metrics.httpRequests.inc({ route, method: req.method, status: String(res.statusCode) });
      metrics.httpDuration.observe({ route, method: req.method }, seconds);
      const level = res.statusCode >= 500 ? 'error' : 'debug';
      logger[level](
        { reqId: id, method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10, client: req.client?.name },
        'request',
      );
    });
    requestContext.run({ reqId: id }, next);
  });

  // Bodies are read raw and decoded strictly by the routes (see body.ts).
  app.use(express.raw({ type: () => true, limit: MAX_BODY_BYTES }));

  for (const router of deps.routers) app.use(router);

  app.use((req: Request, res: Response) => {
    sendProblem(res, problem(404, 'not_found', `No resource at ${req.method} ${req.path}`));
  });

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof UnsupportedMediaType) return sendProblem(res, problem(415, 'unsupported_media_type', error.message));
    const status = (error as { status?: number; statusCode?: number }).status ?? (error as { statusCode?: number }).statusCode;
    const type = (error as { type?: string }).type;
    if (status === 413 || type === 'entity.too.large') {
      return sendProblem(res, problem(413, 'payload_too_large', `Bodies are limited to ${MAX_BODY_BYTES} bytes (1 MiB)`));
    }
    if (type === 'encoding.unsupported' || status === 415) {
      return sendProblem(res, problem(415, 'unsupported_media_type', 'Unsupported Content-Encoding or charset'));
    }
    if (error instanceof URIError || /^Failed to decode param/.test((error as Error).message ?? '')) {
      const code = req.method === 'GET' ? 'invalid_identifier' : 'invalid_body';
      return sendProblem(res, problem(400, code, `The URL is not validly percent-encoded: ${req.originalUrl.slice(0, 200)}`));
    }
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return sendProblem(res, problem(400, 'invalid_body', `The request could not be read: ${(error as Error).message}`));
    }
    if (isStorageDown(error)) {
      logger.error({ err: error, reqId: req.requestId }, 'Redis unavailable');
      return sendProblem(res, problem(503, 'service_unavailable', 'The gateway cannot reach its store; retry shortly'), { 'Retry-After': '5' });
    }
    const { problem: p, headers } = problemFor(error);
    if (p.code === 'internal_error') logger.error({ err: error, reqId: req.requestId }, 'unhandled error');
    sendProblem(res, p, headers);
  });

  return app;
}

/** ioredis gives up on a command while Redis is unreachable: the gateway is unavailable, not broken. */
function isStorageDown(error: unknown): boolean {
  const e = error as { name?: string; code?: string; message?: string };
  return (
    e?.name === 'MaxRetriesPerRequestError' ||
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(e?.code ?? '') ||
    /Connection is closed|Stream isn't writeable|enableOfflineQueue/.test(e?.message ?? '')
  );
}
