/** Liveness, readiness and Prometheus metrics: no authentication, for probes and scrapers. */
import { Router, type Request, type Response } from 'express';
import type { Metrics } from '../../ops/metrics.js';
import type { OpsService } from '../../ops/service.js';
import { documented } from '../route-docs.js';

const READY = { type: 'object', required: ['status', 'checks'], properties: { status: { enum: ['ok', 'fail'] }, checks: { type: 'object', additionalProperties: { type: 'object', properties: { status: { enum: ['ok', 'fail'] }, latencyMs: { type: 'number' }, reason: { type: 'string' } } } } } };

export function healthRoutes(deps: { ops: OpsService; metrics: Metrics }): Router {
  const router = Router();
  router.get('/health/live', documented({ tag: 'health', summary: 'Liveness: 200 while the process runs', roles: null, responses: { 200: { description: '{"status": "ok"}', schema: { type: 'object', properties: { status: { const: 'ok' } } } } } }), (_req: Request, res: Response) => {
    res.json({ status: 'ok' });
  });
  router.get(
    '/health/ready',
    documented({ tag: 'health', summary: 'Readiness: able to accept and keep work; checks say why not', roles: null, responses: { 200: { description: 'Ready', schema: READY }, 503: { description: 'Not ready', schema: READY } } }),
    async (_req: Request, res: Response) => {
    const { ok, checks } = await deps.ops.readiness();
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'fail', checks });
  });
  router.get(
    '/metrics',
    documented({ tag: 'health', summary: 'Prometheus metrics (text format)', roles: null, responses: { 200: { description: 'Prometheus text exposition format', contentType: 'text/plain', schema: { type: 'string' } } } }),
    async (_req: Request, res: Response) => {
    res.setHeader('Content-Type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.render());
  });
  return router;
}
