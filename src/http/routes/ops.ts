/** Operations API (shared/API.md "Operations"): `ops-read` sees, `ops` acts. */
import type { Queue } from 'bullmq';
import { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { ValidationFailed } from '../../domain/errors.js';
import { checkMaHoSo } from '../../domain/identifiers.js';
import type { OpsService } from '../../ops/service.js';
import { parseId } from '../../lookup/audit-redis.js';
import { enqueueDelivery } from '../../sync/queue.js';
import type { SyncStore } from '../../sync/store.js';
import { requireRole, type ClientDirectory } from '../auth.js';
import { parseJsonBody } from '../body.js';
import { problem, sendProblem } from '../problem.js';
import { documented, type ParamDoc } from '../route-docs.js';

const PAGE = { type: 'object', required: ['items', 'nextCursor'], properties: { items: { type: 'array', items: { type: 'object' } }, nextCursor: { type: ['string', 'null'] } } };
const REPLAYED = { type: 'object', required: ['replayed'], properties: { replayed: { type: 'integer' } } };
const QUEUES = { type: 'object', required: ['queues'], properties: { queues: { type: 'array', items: { type: 'object', required: ['name', 'waiting', 'active', 'delayed', 'failed', 'completed', 'oldestWaitingAgeSeconds', 'perMinute'] } } } };
const UPSTREAMS = {
  type: 'object',
  required: ['upstreams'],
  properties: {
    upstreams: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'kind', 'circuit', 'requests', 'failures', 'timeouts', 'rejected', 'latencyMs', 'lastError'],
        properties: { name: { type: 'string' }, kind: { type: 'string' }, circuit: { enum: ['closed', 'open', 'half-open'] }, lastError: { type: ['object', 'null'] } },
      },
    },
  },
};
const AUDIT_ENTRY = {
  type: 'object',
  required: ['at', 'client', 'officer', 'dossierCode', 'source', 'subject', 'outcome', 'status', 'latencyMs'],
  properties: {
    at: { type: 'string', format: 'date-time' },
    client: { type: 'string' },
    officer: { type: 'string' },
    dossierCode: { type: 'string' },
    source: { type: 'string' },
    subject: { type: 'string' },
    outcome: { enum: ['found', 'not_found', 'rejected', 'error', 'unknown'], description: 'unknown: the process that made the lookup ended before recording how it went (status 0)' },
    status: { type: 'integer' },
    latencyMs: { type: 'number' },
  },
};
const AUDIT_PAGE = { type: 'object', required: ['items', 'nextCursor'], properties: { items: { type: 'array', items: AUDIT_ENTRY }, nextCursor: { type: ['string', 'null'] } } };
const LIMIT: ParamDoc = { name: 'limit', description: 'entries per page, 1-500 (default 50)', schema: { type: 'integer', minimum: 1, maximum: 500 } };
const CURSOR: ParamDoc = { name: 'cursor', description: 'nextCursor of the previous page' };
const AUDIT_QUERY: ParamDoc[] = [
  { name: 'subject', description: 'the identifier looked up' },
  { name: 'dossier', description: 'the MaHoSo the lookup was made for' },
  { name: 'officer', description: 'the officer (X-Officer-Id)' },
  { name: 'from', description: 'ISO-8601 instant, included', schema: { type: 'string', format: 'date-time' } },
  { name: 'to', description: 'ISO-8601 instant, included', schema: { type: 'string', format: 'date-time' } },
  LIMIT,
  CURSOR,
];

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
  const ms = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(raw) ? Date.parse(raw) : NaN;
  if (Number.isNaN(ms)) throw new ValidationFailed('invalid_query', `${name} must be an ISO-8601 date-time`, [{ path: name, message: 'must be ISO-8601' }]);
  return new Date(ms).toISOString();
}

export function opsRoutes(deps: { directory: ClientDirectory; ops: OpsService; store: SyncStore; queue: Queue; logger: Logger }): Router {
  const router = Router();
  const { directory, ops, store, queue, logger } = deps;
  const read = requireRole(directory, 'ops-read');
  const act = requireRole(directory, 'ops');

  router.get('/v1/ops/queues', documented({ tag: 'ops', summary: 'Queue figures', roles: ['ops-read'], responses: { 200: { description: '{"queues": [...]}', schema: QUEUES } }, problems: [503] }), read, async (_req: Request, res: Response) => {
    res.json({ queues: await ops.queues() });
  });

  router.get('/v1/ops/upstreams', documented({ tag: 'ops', summary: "Each upstream's circuit, figures of the last 5 minutes and last error", roles: ['ops-read'], responses: { 200: { description: '{"upstreams": [...]}', schema: UPSTREAMS } } }), read, (_req: Request, res: Response) => {
    res.json({ upstreams: ops.upstreams() });
  });

  router.get('/v1/ops/sync', documented({ tag: 'ops', summary: 'Sync lag, undelivered dossiers, dead letters, recent replays', roles: ['ops-read'], responses: { 200: { description: 'The sync figures', schema: { type: 'object' } } }, problems: [503] }), read, async (_req: Request, res: Response) => {
    const [lag, undelivered, deadLetters, replays] = await Promise.all([
      store.syncLagSeconds(),
      store.undeliveredCount(),
      store.deadLetterCount(),
      store.replays(20),
    ]);
    res.json({ lagSeconds: Math.round(lag * 10) / 10, undeliveredDossiers: undelivered, deadLetters, recentReplays: replays });
  });

  router.get('/v1/ops/alerts', documented({ tag: 'ops', summary: 'Alerts firing, and those resolved recently', roles: ['ops-read'], responses: { 200: { description: '{"firing", "recent"}', schema: { type: 'object', required: ['firing', 'recent'], properties: { firing: { type: 'array', items: { type: 'object' } }, recent: { type: 'array', items: { type: 'object' } } } } } } }), read, (_req: Request, res: Response) => {
    res.json(ops.alerts.list());
  });

  router.get('/v1/ops/dead-letters', documented({ tag: 'ops', summary: 'Dead letters, newest first', roles: ['ops-read'], query: [LIMIT, CURSOR], responses: { 200: { description: '{"items", "nextCursor"}', schema: PAGE } }, problems: [400, 503] }), read, async (req: Request, res: Response) => {
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

  router.post('/v1/ops/dead-letters/replay', documented({ tag: 'ops', summary: 'Replays every dead letter matching the filter', roles: ['ops'], body: { required: false, schema: { type: 'object', additionalProperties: false, properties: { maHoSo: { type: 'string' }, reasonCode: { type: 'string' } } } }, responses: { 202: { description: '{"replayed": n}', schema: REPLAYED } }, problems: [400, 413, 415, 503] }), act, async (req: Request, res: Response) => {
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

  router.post('/v1/ops/dead-letters/:id/replay', documented({ tag: 'ops', summary: 'Replays one dead letter', roles: ['ops'], params: { id: 'the letter id, as listed' }, responses: { 202: { description: '{"replayed": 1}', schema: REPLAYED } }, problems: [404, 503] }), act, async (req: Request, res: Response) => {
    const id = String(req.params.id);
    const r = await requeue(id, req.client!.name);
    if (!r) return sendProblem(res, problem(404, 'not_found', `No dead letter ${id}`));
    logger.info({ client: req.client!.name, letter: id, maHoSo: r.maHoSo }, 'dead letter replayed');
    res.status(202).json({ replayed: 1 });
  });

  router.get('/v1/ops/audit', documented({ tag: 'lookups', summary: 'The lookup audit trail, newest first', roles: ['ops-read'], query: AUDIT_QUERY, responses: { 200: { description: '{"items", "nextCursor"}', schema: AUDIT_PAGE } }, problems: [400, 503] }), read, async (req: Request, res: Response) => {
    const q = {
      limit: intParam(req, 'limit', 50, 500),
      subject: stringParam(req, 'subject'),
      dossier: stringParam(req, 'dossier'),
      officer: stringParam(req, 'officer'),
      from: timeParam(req, 'from'),
      to: timeParam(req, 'to'),
      cursor: stringParam(req, 'cursor'),
    };
    if (q.cursor !== undefined && parseId(q.cursor) === undefined) {
      throw new ValidationFailed('invalid_query', 'cursor is not one this API returned', [{ path: 'cursor', message: 'is not valid' }]);
    }
    const clean = Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined)) as typeof q & { limit: number };
    res.json(await ops.deps.audit.query(clean));
  });

  return router;
}
