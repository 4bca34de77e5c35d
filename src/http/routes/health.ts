/** Liveness, readiness and Prometheus metrics: no authentication, for probes and scrapers. */
import { Router, type Request, type Response } from 'express';
import type { Metrics } from '../../ops/metrics.js';
import type { OpsService } from '../../ops/service.js';

export function healthRoutes(deps: { ops: OpsService; metrics: Metrics }): Router {
  const router = Router();
  router.get('/health/live', (_req: Request, res: Response) => {
    res.json({ status: 'ok' });
  });
  router.get('/health/ready', async (_req: Request, res: Response) => {
    const { ok, checks } = await deps.ops.readiness();
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'fail', checks });
  });
  router.get('/metrics', async (_req: Request, res: Response) => {
    res.setHeader('Content-Type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.render());
  });
  return router;
}
