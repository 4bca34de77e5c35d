/** Reconciliation on demand (shared/API.md "Reconciliation"): `ops` starts a run, `ops-read` follows it. */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { ValidationFailed, type FieldError } from '../../domain/errors.js';
import { checkMaHoSo } from '../../domain/identifiers.js';
import { outboxCaughtUp } from '../../reconcile/catch-up.js';
import { RecordsUnavailable } from '../../records/errors.js';
import type { ReconcileStore, RunFilter } from '../../reconcile/store.js';
import { requireRole, type ClientDirectory } from '../auth.js';
import { parseJsonBody } from '../body.js';
import { problem, sendProblem } from '../problem.js';
import { documented, type RouteDoc } from '../route-docs.js';

/** A run asked for right after deliveries waits this long at most for them to reach PostgreSQL. */
const CATCH_UP_MS = 5_000;
const RUN_ID = /^rc-[a-z0-9]{1,12}-[0-9a-f]{8}$/;

/** yyyyMMdd of a real calendar day. */
function isDay(v: string): boolean {
  if (!/^\d{8}$/.test(v)) return false;
  const y = Number(v.slice(0, 4));
  const m = Number(v.slice(4, 6));
  const d = Number(v.slice(6, 8));
  const date = new Date(Date.UTC(y, m - 1, d));
  return y >= 1900 && date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

export function parseRunFilter(body: unknown): RunFilter {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationFailed('invalid_body', 'The body must be a JSON object', [{ path: '', message: 'must be an object' }]);
  }
  const b = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const k of Object.keys(b)) if (!['maHoSo', 'receivedFrom', 'receivedTo'].includes(k)) errors.push({ path: `/${k}`, message: 'is not a field of this payload' });
  if (b.maHoSo !== undefined && (typeof b.maHoSo !== 'string' || checkMaHoSo(b.maHoSo) !== null)) errors.push({ path: '/maHoSo', message: 'must be a MaHoSo' });
  for (const k of ['receivedFrom', 'receivedTo'] as const) {
    if (b[k] !== undefined && (typeof b[k] !== 'string' || !isDay(b[k]))) errors.push({ path: `/${k}`, message: 'must be a date written yyyyMMdd' });
  }
  if (errors.length === 0 && typeof b.receivedFrom === 'string' && typeof b.receivedTo === 'string' && b.receivedFrom > b.receivedTo) {
    errors.push({ path: '/receivedTo', message: 'must not be before receivedFrom' });
  }
  if (errors.length > 0) throw new ValidationFailed('invalid_body', `${errors[0]!.path} ${errors[0]!.message}`, errors);
  const filter: RunFilter = {};
  if (typeof b.maHoSo === 'string') filter.maHoSo = b.maHoSo;
  if (typeof b.receivedFrom === 'string') filter.receivedFrom = b.receivedFrom;
  if (typeof b.receivedTo === 'string') filter.receivedTo = b.receivedTo;
  return filter;
}

// OpenAPI entries of these routes (src/http/route-docs.ts).
const RECONCILE_START: RouteDoc = {
  tag: 'reconcile',
  summary: "Compares the portal's copy of delivered dossiers with what was delivered, and repairs drift",
  roles: ['ops'],
  body: { schema: { type: 'object', additionalProperties: false, properties: { maHoSo: { type: 'string' }, receivedFrom: { type: 'string', pattern: '^\\d{8}$' }, receivedTo: { type: 'string', pattern: '^\\d{8}$' } } } },
  responses: { 202: { description: '{"id", "queued"}', schema: { type: 'object', required: ['id', 'queued'], properties: { id: { type: 'string' }, queued: { type: 'integer' } } } } },
  problems: [400, 413, 415, 503],
};

const RECONCILE_RUN: RouteDoc = {
  tag: 'reconcile',
  summary: 'The progress of a reconciliation run',
  roles: ['ops-read'],
  params: { id: 'the id answered by POST /v1/ops/reconcile' },
  responses: {
    200: {
      description: 'The run',
      schema: {
        type: 'object',
        required: ['id', 'state', 'queued', 'checked', 'matched', 'drifted', 'repaired', 'failed'],
        properties: { id: { type: 'string' }, state: { enum: ['running', 'done'] }, queued: { type: 'integer' }, checked: { type: 'integer' }, matched: { type: 'integer' }, drifted: { type: 'integer' }, repaired: { type: 'integer' }, failed: { type: 'integer' } },
      },
    },
  },
  problems: [404, 503],
};

const RECONCILE_RUNS: RouteDoc = {
  tag: 'reconcile',
  summary: 'Recent reconciliation runs',
  roles: ['ops-read'],
  responses: { 200: { description: 'The runs, newest first', schema: { type: 'object' } } },
  problems: [503],
};

export function reconcileRoutes(deps: { directory: ClientDirectory; reconcile: ReconcileStore; redis: Redis; prefix: string; logger: Logger; perMinute: number }): Router {
  const router = Router();
  const { directory, reconcile, logger } = deps;

  router.post('/v1/ops/reconcile', documented(RECONCILE_START), requireRole(directory, 'ops'), async (req: Request, res: Response) => {
    const hasBody = Buffer.isBuffer(req.body) && req.body.length > 0;
    const filter = parseRunFilter(hasBody ? parseJsonBody(req) : {});
    await outboxCaughtUp(deps.redis, deps.prefix, CATCH_UP_MS).catch(() => false);
    const id = `rc-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    const queued = await reconcile.createRun(id, req.client!.name, filter);
    logger.info({ client: req.client!.name, run: id, queued, filter }, 'reconciliation run queued');
    res.status(202).json({ id, queued });
  });

  router.get('/v1/ops/reconcile/:id', documented(RECONCILE_RUN), requireRole(directory, 'ops-read'), async (req: Request, res: Response) => {
    const id = String(req.params.id);
    const run = RUN_ID.test(id) ? await reconcile.run(id) : null;
    if (!run) return sendProblem(res, problem(404, 'not_found', `No reconciliation run ${id}`));
    res.json(run);
  });

  // For the dashboard: the last 24 hours and the latest runs. A status feed like /v1/ops/sync, so
  // PostgreSQL being unset or down is said in the answer (`available: false`), not as a failure.
  router.get('/v1/ops/reconcile', documented(RECONCILE_RUNS), requireRole(directory, 'ops-read'), async (_req: Request, res: Response) => {
    try {
      const [last24h, runs] = await Promise.all([reconcile.last24h(), reconcile.recentRuns(10)]);
      res.json({ available: true, perMinute: deps.perMinute, last24h, runs });
    } catch (e) {
      if (!(e instanceof RecordsUnavailable)) throw e;
      res.json({ available: false, reason: e.message, perMinute: deps.perMinute, last24h: null, runs: [] });
    }
  });

  return router;
}
