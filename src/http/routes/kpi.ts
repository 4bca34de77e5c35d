/**
 * Indicators (shared/API.md "Indicators"): role `kpi` reads (`ops-read` and `ops` imply it), `ops`
 * replaces the catalogue. Checks run in order: key and role, then the query (400), then the store (503).
 */
import { Router, type Request, type Response } from 'express';
import { ValidationFailed } from '../../domain/errors.js';
import { toCsv, toXlsx, unitsTable, unitTable, warningsTable, type Table } from '../../kpi/export.js';
import { parsePeriod } from '../../kpi/period.js';
import type { KpiService } from '../../kpi/service.js';
import { WARNING_CODES, type WarningCode } from '../../kpi/warnings.js';
import { requireRole, type ClientDirectory } from '../auth.js';
import { parseJsonBody } from '../body.js';
import { problem, sendProblem } from '../problem.js';
import { documented, type RouteDoc } from '../route-docs.js';

type Format = 'json' | 'csv' | 'xlsx';
const FORMATS: Format[] = ['json', 'csv', 'xlsx'];

function single(req: Request, name: string): string | undefined {
  const raw = (req.query as Record<string, unknown>)[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new ValidationFailed('invalid_query', `${name} must be given once`, [{ path: name, message: 'must be a single value' }]);
  return raw;
}

function format(req: Request): Format {
  const f = single(req, 'format');
  if (f === undefined) return 'json';
  if (!FORMATS.includes(f as Format)) {
    throw new ValidationFailed('invalid_query', `format must be ${FORMATS.join(', ')}`, [{ path: 'format', message: `must be one of ${FORMATS.join(', ')}` }]);
  }
  return f as Format;
}

async function send(res: Response, f: Format, json: unknown, table: () => Table, filename: string): Promise<void> {
  if (f === 'json') {
    res.json(json);
    return;
  }
  const t = table();
  if (f === 'csv') {
    res.setHeader('Content-Disposition', `attachment; filename="${filename}.csv"`);
    res.type('text/csv; charset=utf-8').send(toCsv(t));
    return;
  }
  res.setHeader('Content-Disposition', `attachment; filename="${filename}.xlsx"`);
  res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(await toXlsx(t));
}

const safeName = (s: string) => s.replace(/[^\w.-]/g, '_');

// OpenAPI entries of these routes (src/http/route-docs.ts).
const PERIOD = { name: 'period', description: 'YYYY-MM, YYYY-Qn or YYYY (default: the current month)', schema: { type: 'string', pattern: '^\\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$' } };
const INDICATORS = { type: 'object', description: 'indicators of shared/KPI.md: received, online, onlineRate, fullyOnlineEligible, fullyOnline, fullyOnlineRate, finished, onTime, onTimeRate, overdueOpen, synced, syncedRate, feeBearing, paidOnline, paidOnlineRate, vneid, vneidRate, reusedDigitised, reusedDigitisedRate, eResult, eResultRate' };
const KPI_PROBLEMS = [400, 503];
const CATALOG_READ: RouteDoc = { tag: 'kpi', summary: 'The catalogue, with counts', roles: ['kpi'], responses: { 200: { description: '{"procedures", "units", "counts"}', schema: { type: 'object', required: ['procedures', 'units', 'counts'] } } }, problems: [503] };

const CATALOG_WRITE: RouteDoc = {
  tag: 'kpi',
  summary: 'Replaces the catalogue of procedures and units',
  roles: ['ops'],
  body: {
    schema: {
      type: 'object',
      required: ['procedures', 'units'],
      properties: {
        procedures: { type: 'array', items: { type: 'object', required: ['maTTHC', 'name', 'level', 'online'] } },
        units: { type: 'array', items: { type: 'object', required: ['code', 'name', 'level'] } },
      },
    },
  },
  responses: { 200: { description: '{"procedures", "fullyOnline", "units"} (counts)', schema: { type: 'object', properties: { procedures: { type: 'integer' }, fullyOnline: { type: 'integer' }, units: { type: 'integer' } } } } },
  problems: [400, 413, 415, 503],
};

const UNITS: RouteDoc = {
  tag: 'kpi',
  summary: "Every unit's indicators for a period (JSON, CSV or Excel)",
  roles: ['kpi'],
  query: [PERIOD, { name: 'format', description: 'csv or xlsx instead of JSON', schema: { enum: ['csv', 'xlsx'] } }],
  responses: {
    200: {
      description: '{"period", "asOf", "total", "units"}',
      schema: { type: 'object', required: ['period', 'asOf', 'total', 'units'], properties: { total: INDICATORS, units: { type: 'array', items: INDICATORS } } },
    },
  },
  problems: KPI_PROBLEMS,
};

const UNIT: RouteDoc = {
  tag: 'kpi',
  summary: "One unit's indicators, by procedure",
  roles: ['kpi'],
  params: { unit: 'the unit code' },
  query: [PERIOD],
  responses: { 200: { description: 'The unit', schema: INDICATORS } },
  problems: [...KPI_PROBLEMS, 404],
};

const WARNINGS: RouteDoc = {
  tag: 'kpi',
  summary: 'Early warnings for lagging units and dossiers',
  roles: ['kpi'],
  query: [PERIOD, { name: 'unit', description: 'only this unit' }, { name: 'code', description: 'only warnings of this code' }],
  responses: { 200: { description: '{"period", "asOf", "items"}', schema: { type: 'object', required: ['period', 'asOf', 'items'], properties: { items: { type: 'array', items: { type: 'object' } } } } } },
  problems: KPI_PROBLEMS,
};

export function kpiRoutes(deps: { directory: ClientDirectory; kpi: KpiService }): Router {
  const router = Router();
  const { kpi } = deps;
  const read = requireRole(deps.directory, 'kpi');
  const act = requireRole(deps.directory, 'ops');

  router.get('/v1/kpi/catalog', documented(CATALOG_READ), read, async (_req: Request, res: Response) => {
    res.json(await kpi.catalog());
  });

  router.put('/v1/kpi/catalog', documented(CATALOG_WRITE), act, async (req: Request, res: Response) => {
    res.json(await kpi.replaceCatalog(parseJsonBody(req)));
  });

  router.get('/v1/kpi/units', documented(UNITS), read, async (req: Request, res: Response) => {
    const period = parsePeriod(single(req, 'period'), new Date());
    const f = format(req);
    const answer = await kpi.units(period);
    await send(res, f, answer, () => unitsTable(answer), `kpi-units-${period.label}`);
  });

  router.get('/v1/kpi/units/:unit', documented(UNIT), read, async (req: Request, res: Response) => {
    const period = parsePeriod(single(req, 'period'), new Date());
    const f = format(req);
    const unit = String(req.params.unit);
    const answer = await kpi.unit(unit, period);
    if (!answer) return sendProblem(res, problem(404, 'not_found', `Unit ${unit.slice(0, 100)} is in no catalogue and has no dossier`));
    await send(res, f, answer, () => unitTable(answer), `kpi-${safeName(unit)}-${period.label}`);
  });

  router.get('/v1/kpi/warnings', documented(WARNINGS), read, async (req: Request, res: Response) => {
    const period = parsePeriod(single(req, 'period'), new Date());
    const f = format(req);
    const unit = single(req, 'unit');
    const code = single(req, 'code');
    if (code !== undefined && !WARNING_CODES.includes(code as WarningCode)) {
      throw new ValidationFailed('invalid_query', `code must be one of ${WARNING_CODES.join(', ')}`, [{ path: 'code', message: `must be one of ${WARNING_CODES.join(', ')}` }]);
    }
    const answer = await kpi.warnings(period, { unit: unit === '' ? undefined : unit, code: code as WarningCode | undefined });
    await send(res, f, answer, () => warningsTable(answer), `kpi-warnings-${period.label}`);
  });

  return router;
}
