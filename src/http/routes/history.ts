/** A dossier's history (shared/API.md "Dossier history and reconciliation"). */
import type { Redis } from 'ioredis';
import { Router, type Request, type Response } from 'express';
import { ValidationFailed } from '../../domain/errors.js';
import { checkMaHoSo } from '../../domain/identifiers.js';
import { CURSOR, type HistoryStore } from '../../history/store.js';
import { outboxCaughtUp } from '../../reconcile/catch-up.js';
import type { SyncStore } from '../../sync/store.js';
import { requireRole, type ClientDirectory } from '../auth.js';
import { problem, sendProblem } from '../problem.js';
import { documented, type RouteDoc } from '../route-docs.js';

export const HISTORY_MAX_LIMIT = 1_000;
const HISTORY_DEFAULT_LIMIT = 100;
/** A read right after a change waits this long at most for the outbox to reach PostgreSQL. */
const CATCH_UP_MS = 1_000;

function query(req: Request, name: string): string | undefined {
  const raw = (req.query as Record<string, unknown>)[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new ValidationFailed('invalid_query', `${name} must be given once`, [{ path: name, message: 'must be a single value' }]);
  return raw;
}

// OpenAPI entry of this route (src/http/route-docs.ts).
const HISTORY: RouteDoc = {
  tag: 'history',
  path: '/v1/dossiers/{MaHoSo}/history',
  summary: "A dossier's history, oldest first, from PostgreSQL",
  roles: ['sync', 'ops-read'],
  params: { MaHoSo: 'the dossier code' },
  query: [
    { name: 'limit', description: '1-1000 (default 100)', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
    { name: 'cursor', description: 'nextCursor of the previous page' },
  ],
  responses: {
    200: {
      description: '{"maHoSo", "events", "nextCursor"}',
      schema: {
        type: 'object',
        required: ['maHoSo', 'events', 'nextCursor'],
        properties: {
          maHoSo: { type: 'string' },
          events: { type: 'array', items: { type: 'object', required: ['at', 'type', 'revision', 'detail'], properties: { at: { type: 'string', format: 'date-time' }, type: { type: 'string' }, revision: { type: ['integer', 'null'] }, detail: {} } } },
          nextCursor: { type: ['string', 'null'] },
        },
      },
    },
  },
  problems: [400, 404, 503],
};

export function historyRoutes(deps: { directory: ClientDirectory; history: HistoryStore; store: SyncStore; redis: Redis; prefix: string }): Router {
  const router = Router();
  const { directory, history, store } = deps;

  router.get('/v1/dossiers/:maHoSo/history', documented(HISTORY), requireRole(directory, 'sync', 'ops-read'), async (req: Request, res: Response) => {
    const m = String(req.params.maHoSo);
    const rule = checkMaHoSo(m);
    if (rule) throw new ValidationFailed('invalid_identifier', rule, [{ path: 'maHoSo', message: rule }]);
    const rawLimit = query(req, 'limit');
    if (rawLimit !== undefined && !(/^\d{1,4}$/.test(rawLimit) && Number(rawLimit) >= 1 && Number(rawLimit) <= HISTORY_MAX_LIMIT)) {
      throw new ValidationFailed('invalid_query', `limit must be a whole number from 1 to ${HISTORY_MAX_LIMIT}`, [{ path: 'limit', message: `must be 1 to ${HISTORY_MAX_LIMIT}` }]);
    }
    const limit = rawLimit === undefined ? HISTORY_DEFAULT_LIMIT : Number(rawLimit);
    const cursor = query(req, 'cursor');
    if (cursor !== undefined && !CURSOR.test(cursor)) {
      throw new ValidationFailed('invalid_query', 'cursor is not one this API returned', [{ path: 'cursor', message: 'is not valid' }]);
    }
    await outboxCaughtUp(deps.redis, deps.prefix, CATCH_UP_MS).catch(() => false);
    const page = await history.page(m, limit, cursor);
    if (page === null) {
      // Accepted, but its events have not reached PostgreSQL yet: known, with nothing to show so far.
      if (await store.status(m)) return res.json({ maHoSo: m, events: [], nextCursor: null });
      return sendProblem(res, problem(404, 'not_found', `No history of dossier ${m}: no revision of it was ever accepted`));
    }
    res.json({
      maHoSo: m,
      events: page.events.map((e) => ({ at: e.at, type: e.type, revision: e.revision, detail: e.detail, id: e.id })),
      nextCursor: page.nextCursor,
    });
  });

  return router;
}
