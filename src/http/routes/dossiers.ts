/** Dossier sync routes (shared/API.md "Dossier sync"). */
import { setImmediate } from 'node:timers/promises';
import { Router, type Request, type Response } from 'express';
import { checkMaHoSo } from '../../domain/identifiers.js';
import { boundFieldErrors, listedFieldErrors, ValidationFailed, type FieldError } from '../../domain/errors.js';
import type { SyncService } from '../../sync/service.js';
import { requireRole, type ClientDirectory } from '../auth.js';
import { parseJsonBody } from '../body.js';
import { problem, problemFor, sendProblem } from '../problem.js';
import { documented } from '../route-docs.js';

const OUTCOME = { type: 'object', required: ['maHoSo', 'revision', 'outcome'], properties: { maHoSo: { type: 'string' }, revision: { type: 'integer' }, outcome: { enum: ['accepted', 'duplicate', 'stale'] }, currentRevision: { type: 'integer' } } };

export const MAX_BATCH_ITEMS = 1_000;
/** Field errors listed across all items of one batch answer, so a batch of bad items cannot make a huge answer. */
export const MAX_BATCH_LISTED_ERRORS = 1_000;
/** Dossiers of one batch accepted side by side; items of one dossier stay in array order. */
const BATCH_PARALLELISM = 16;

function outcomeBody(o: Awaited<ReturnType<SyncService['accept']>>) {
  return o.outcome === 'stale'
    ? { maHoSo: o.maHoSo, revision: o.revision, outcome: o.outcome, currentRevision: o.currentRevision }
    : { maHoSo: o.maHoSo, revision: o.revision, outcome: o.outcome };
}

export function dossierRoutes(deps: { directory: ClientDirectory; sync: SyncService; validateBatch: (body: unknown) => import('../../domain/errors.js').FieldError[] }): Router {
  const router = Router();
  const { directory, sync } = deps;

  router.put(
    '/v1/dossiers/:maHoSo',
    documented({
      tag: 'sync',
      summary: 'Pushes a revision of a dossier; it reaches the portal whatever the faults',
      path: '/v1/dossiers/{MaHoSo}',
      params: { MaHoSo: '1 to 50 letters, digits, ".", "-" and "_"' },
      roles: ['sync'],
      body: { schema: 'dossier-revision.schema.json' },
      responses: { 202: { description: 'accepted: it will reach the portal', schema: OUTCOME }, 200: { description: 'duplicate or stale: ignored', schema: OUTCOME } },
      problems: [400, 413, 415, 503],
    }),
    requireRole(directory, 'sync'), async (req: Request, res: Response) => {
    const m = String(req.params.maHoSo);
    const rule = checkMaHoSo(m);
    if (rule) throw new ValidationFailed('invalid_body', `The MaHoSo in the URL is not valid: ${rule}`, [{ path: '/dossier/MaHoSo', message: rule }]);
    const rev = sync.parse(parseJsonBody(req), m);
    const outcome = await sync.accept(rev);
    res.status(outcome.outcome === 'accepted' ? 202 : 200).json(outcomeBody(outcome));
  });

  router.post(
    '/v1/dossiers/batch',
    documented({
      tag: 'sync',
      summary: 'Pushes up to 1,000 revisions; one bad item does not reject the others',
      roles: ['sync'],
      body: { schema: 'dossier-batch.schema.json' },
      responses: { 207: { description: 'One result per item, in order: an outcome or a problem', schema: { type: 'object', required: ['results'], properties: { results: { type: 'array', items: { type: 'object' } } } } } },
      problems: [400, 413, 415, 503],
    }),
    requireRole(directory, 'sync'), async (req: Request, res: Response) => {
    const body = parseJsonBody(req);
    const errors = deps.validateBatch(body);
    if (errors.length > 0) {
      const tooMany = Array.isArray((body as { items?: unknown })?.items) && (body as { items: unknown[] }).items.length > MAX_BATCH_ITEMS;
      const detail = tooMany ? `A batch holds at most ${MAX_BATCH_ITEMS} items` : `${errors[0]!.path || 'body'} ${errors[0]!.message}`;
      throw new ValidationFailed('invalid_body', detail, errors);
    }
    const items = (body as { items: unknown[] }).items;
    const results = new Array<unknown>(items.length);
    // Group by dossier so one dossier's items keep their order while different dossiers run in parallel.
    const groups = new Map<string, number[]>();
    items.forEach((item, i) => {
      const m = (item as { dossier?: { MaHoSo?: unknown } } | null)?.dossier?.MaHoSo;
      const key = typeof m === 'string' ? `m:${m}` : `i:${i}`;
      const group = groups.get(key);
      if (group) group.push(i);
      else groups.set(key, [i]);
    });
    const queue = [...groups.values()];
    const runGroup = async (indices: number[]) => {
      for (const i of indices) {
        const item = items[i];
        const raw = (item as { dossier?: { MaHoSo?: unknown } } | null)?.dossier?.MaHoSo;
        const maHoSo = typeof raw === 'string' ? raw : null;
        try {
          const outcome = await sync.accept(sync.parse(item, null, `/items/${i}`));
          results[i] = outcomeBody(outcome);
        } catch (error) {
          results[i] = { maHoSo, error: problemFor(error).problem };
          // Refusing an item does not wait on anything: let other requests run between refused items.
          await setImmediate();
        }
      }
    };
    const workers = Array.from({ length: Math.min(BATCH_PARALLELISM, queue.length) }, async () => {
      for (let g = queue.shift(); g; g = queue.shift()) await runGroup(g);
    });
    await Promise.all(workers);
    boundBatchErrors(results);
    res.status(207).json({ results });
  });

  router.get(
    '/v1/dossiers/:maHoSo',
    documented({
      tag: 'sync',
      summary: "A dossier's sync state",
      path: '/v1/dossiers/{MaHoSo}',
      params: { MaHoSo: 'the dossier code' },
      roles: ['sync', 'ops-read'],
      responses: { 200: { description: 'The sync state', schema: { type: 'object', required: ['maHoSo', 'acceptedRevision', 'deliveredRevision', 'state', 'attempts', 'pendingProgress', 'lastError', 'deliveredAt'], properties: { maHoSo: { type: 'string' }, acceptedRevision: { type: 'integer' }, deliveredRevision: { type: ['integer', 'null'] }, state: { enum: ['pending', 'retrying', 'delivered', 'dead'] }, attempts: { type: 'integer' }, pendingProgress: { type: 'integer' }, lastError: { type: ['object', 'null'] }, deliveredAt: { type: ['string', 'null'] } } } } },
      problems: [400, 404, 503],
    }),
    requireRole(directory, 'sync', 'ops-read'), async (req: Request, res: Response) => {
    const m = String(req.params.maHoSo);
    const rule = checkMaHoSo(m);
    if (rule) throw new ValidationFailed('invalid_identifier', rule, [{ path: 'maHoSo', message: rule }]);
    const status = await sync.status(m);
    if (!status) return sendProblem(res, problem(404, 'not_found', `No revision of dossier ${m} was ever accepted`));
    res.json(status);
  });

  return router;
}

/** Items are answered in order; once the batch has listed MAX_BATCH_LISTED_ERRORS entries, later items list only how many they had. */
function boundBatchErrors(results: unknown[]): void {
  let budget = MAX_BATCH_LISTED_ERRORS;
  for (const r of results) {
    const error = (r as { error?: { errors?: FieldError[] } }).error;
    if (!error?.errors) continue;
    const listed = listedFieldErrors(error.errors).length;
    if (listed > budget) error.errors = boundFieldErrors(error.errors, budget);
    budget = Math.max(0, budget - listed);
  }
}
