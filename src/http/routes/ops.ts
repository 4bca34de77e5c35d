/** Operations API (shared/API.md "Operations"): `ops-read` sees, `ops` acts. */
import type { Queue } from 'bullmq';
import { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { ValidationFailed } from '../../domain/errors.js';
import { checkMaHoSo } from '../../domain/identifiers.js';
import type { OpsService } from '../../ops/service.js';
import { enqueueDelivery } from '../../sync/queue.js';
import type { SyncStore } from '../../sync/store.js';
import { requireRole, type ClientDirectory } from '../auth.js';
import { parseJsonBody } from '../body.js';
import { problem, sendProblem } from '../problem.js';

function intParam(req: Request, name: string, fallback: number, max: number): number {
  const raw = (req.query as Record<string, unknown>)[name];
  if (raw === undefined || raw === '') return fallback;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new ValidationFailed('invalid_query', `${name} must be a whole number from 1 to ${max}`, [{ path: name, message: `must be 1 to ${max}` }]);
  }
  return Number(raw);
}

function stringParam(req: Request, name: string): string | undefined {
  const raw = (req.query as Record<string, unknown>)[name];
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string') throw new ValidationFailed('invalid_query', `${name} must be given once`, [{ path: name, message: 'must be a single value' }]);
  return raw;
}

function timeParam(req: Request, name: string): string | undefined {
  const raw = stringParam(req, name);
  if (raw === undefined) return undefined;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) throw new ValidationFailed('invalid_query', `${name} must be an ISO-8601 date-time`, [{ path: name, message: 'must be ISO-8601' }]);
  return new Date(ms).toISOString();
}

export function opsRoutes(deps: { directory: ClientDirectory; ops: OpsService; store: SyncStore; queue: Queue; logger: Logger }): Router {
  const router = Router();
  const { directory, ops, store, queue, logger } = deps;
  const read = requireRole(directory, 'ops-read');
  const act = requireRole(directory, 'ops');

  router.get('/v1/ops/queues', read, async (_req: Request, res: Response) => {
    res.json({ queues: await ops.queues() });
  });

  router.get('/v1/ops/upstreams', read, (_req: Request, res: Response) => {
    res.json({ upstreams: ops.upstreams() });
  });

  router.get('/v1/ops/sync', read, async (_req: Request, res: Response) => {
    const [lag, undelivered, deadLetters, replays] = await Promise.all([
      store.syncLagSeconds(),
      store.undeliveredCount(),
      store.deadLetterCount(),
      store.replays(20),
    ]);
    res.json({ lagSeconds: Math.round(lag * 10) / 10, undeliveredDossiers: undelivered, deadLetters, recentReplays: replays });
  });

  router.get('/v1/ops/alerts', read, (_req: Request, res: Response) => {
    res.json(ops.alerts.list());
  });

  router.get('/v1/ops/dead-letters', read, async (req: Request, res: Response) => {
    const limit = intParam(req, 'limit', 50, 500);
    const cursor = stringParam(req, 'cursor');
    if (cursor !== undefined && !/^\d+$/.test(cursor)) {
      throw new ValidationFailed('invalid_query', 'cursor is not one this API returned', [{ path: 'cursor', message: 'is not valid' }]);
    }
    res.json(await store.deadLetters(limit, cursor));
  });

  const requeue = async (id: string, by: string) => {
    const r = await store.replay(id, by);
    if (r && r.generation > 0) await enqueueDelivery(queue as never, r.maHoSo, r.generation);
    return r;
  };

  router.post('/v1/ops/dead-letters/replay', act, async (req: Request, res: Response) => {
    let filter: { maHoSo?: unknown; reasonCode?: unknown } = {};
    const hasBody = Buffer.isBuffer(req.body) && req.body.length > 0;
    if (hasBody) {
      const body = parseJsonBody(req);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new ValidationFailed('invalid_body', 'The body must be a JSON object', [{ path: '', message: 'must be an object' }]);
      }
      filter = body as typeof filter;
      const errors = [];
      for (const k of Object.keys(filter)) if (k !== 'maHoSo' && k !== 'reasonCode') errors.push({ path: `/${k}`, message: 'is not a field of this payload' });
      if (filter.maHoSo !== undefined && (typeof filter.maHoSo !== 'string' || checkMaHoSo(filter.maHoSo))) errors.push({ path: '/maHoSo', message: 'must be a MaHoSo' });
      if (filter.reasonCode !== undefined && (typeof filter.reasonCode !== 'string' || filter.reasonCode === '')) errors.push({ path: '/reasonCode', message: 'must be a non-empty string' });
      if (errors.length) throw new ValidationFailed('invalid_body', `${errors[0]!.path} ${errors[0]!.message}`, errors);
    }
    const letters = await store.allDeadLetters();
    const chosen = letters.filter(
      (l) =>
        (filter.maHoSo === undefined || l.maHoSo === filter.maHoSo) &&
        (filter.reasonCode === undefined || l.reason.code === filter.reasonCode || l.reason.upstreamCode === filter.reasonCode),
    );
    let replayed = 0;
    for (const l of chosen) if (await requeue(l.id, req.client!.name)) replayed++;
    logger.info({ client: req.client!.name, replayed, filter }, 'dead letters replayed');
    res.status(202).json({ replayed });
  });

  router.post('/v1/ops/dead-letters/:id/replay', act, async (req: Request, res: Response) => {
    const id = String(req.params.id);
    const r = await requeue(id, req.client!.name);
    if (!r) return sendProblem(res, problem(404, 'not_found', `No dead letter ${id}`));
    logger.info({ client: req.client!.name, letter: id, maHoSo: r.maHoSo }, 'dead letter replayed');
    res.status(202).json({ replayed: 1 });
  });

  router.get('/v1/ops/audit', read, async (req: Request, res: Response) => {
    const q = {
      limit: intParam(req, 'limit', 50, 500),
      subject: stringParam(req, 'subject'),
      dossier: stringParam(req, 'dossier'),
      officer: stringParam(req, 'officer'),
      from: timeParam(req, 'from'),
      to: timeParam(req, 'to'),
      cursor: stringParam(req, 'cursor'),
    };
    if (q.cursor !== undefined && !/^\d+-\d+$/.test(q.cursor)) {
      throw new ValidationFailed('invalid_query', 'cursor is not one this API returned', [{ path: 'cursor', message: 'is not valid' }]);
    }
    const clean = Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined)) as typeof q & { limit: number };
    res.json(await ops.deps.audit.query(clean));
  });

  return router;
}
