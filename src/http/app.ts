/**
 * The express application: request ids, access logs and metrics, strict body reading, the route
 * modules, and one error handler that answers problem+json for everything, so no request, however
 * malformed, gets an HTML page or a stack trace.
 */
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { requestContext } from '../logger.js';
import type { Metrics } from '../ops/metrics.js';
import { MAX_BODY_BYTES } from './body.js';
import { problem, problemFor, sendProblem } from './problem.js';

export interface AppDeps {
  logger: Logger;
  metrics: Metrics;
  routers: Router[];
  /** Run after request ids and before any body is read: authentication refuses unknown keys there (auth.ts). */
  beforeBody?: RequestHandler[];
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

  for (const handler of deps.beforeBody ?? []) app.use(handler);

  // Bodies are read raw and decoded strictly by the routes (see body.ts).
  app.use(express.raw({ type: () => true, limit: MAX_BODY_BYTES }));

  for (const router of deps.routers) app.use(router);

  app.use((req: Request, res: Response) => {
    sendProblem(res, problem(404, 'not_found', `No resource at ${req.method} ${req.path}`));
  });

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { problem: p, headers } = problemFor(error, { method: req.method, url: req.originalUrl });
    if (p.code === 'store_unavailable') logger.warn({ err: error, reqId: req.requestId }, 'store unavailable: answered 503');
    else if (p.code === 'internal_error') logger.error({ err: error, reqId: req.requestId }, 'unhandled error');
    sendProblem(res, p, headers);
  });

  return app;
}

