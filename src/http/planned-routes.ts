/**
 * Routes of shared/API.md that are still being built, described here so the OpenAPI document covers
 * every route of the contract. When a route below gets its definition, its `documented({...})` entry
 * moves next to that definition and the entry here is deleted: test/openapi.test.ts fails while a
 * route is both defined and listed here (see docs/sources.md, "Documenting a route").
 */
import type { PlannedRoute } from './openapi.js';

const PERIOD = { name: 'period', description: 'YYYY-MM, YYYY-Qn or YYYY (default: the current month)', schema: { type: 'string', pattern: '^\\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$' } };
const INDICATORS = { type: 'object', description: 'indicators of shared/KPI.md: received, online, onlineRate, fullyOnlineEligible, fullyOnline, fullyOnlineRate, finished, onTime, onTimeRate, overdueOpen, synced, syncedRate, feeBearing, paidOnline, paidOnlineRate, vneid, vneidRate, reusedDigitised, reusedDigitisedRate, eResult, eResultRate' };
const KPI_PROBLEMS = [400, 503];

export const PLANNED_ROUTES: readonly PlannedRoute[] = [
  {
    method: 'get',
    path: '/v1/dossiers/{MaHoSo}/history',
    doc: {
      tag: 'history',
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
    },
  },
  {
    method: 'post',
    path: '/v1/ops/reconcile',
    doc: {
      tag: 'reconcile',
      summary: "Compares the portal's copy of delivered dossiers with what was delivered, and repairs drift",
      roles: ['ops'],
      body: { schema: { type: 'object', additionalProperties: false, properties: { maHoSo: { type: 'string' }, receivedFrom: { type: 'string', pattern: '^\\d{8}$' }, receivedTo: { type: 'string', pattern: '^\\d{8}$' } } } },
      responses: { 202: { description: '{"id", "queued"}', schema: { type: 'object', required: ['id', 'queued'], properties: { id: { type: 'string' }, queued: { type: 'integer' } } } } },
      problems: [400, 413, 415, 503],
    },
  },
  {
    method: 'get',
    path: '/v1/ops/reconcile/{id}',
    doc: {
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
    },
  },
  {
    method: 'put',
    path: '/v1/kpi/catalog',
    doc: {
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
    },
  },
  {
    method: 'get',
    path: '/v1/kpi/catalog',
    doc: { tag: 'kpi', summary: 'The catalogue, with counts', roles: ['kpi'], responses: { 200: { description: '{"procedures", "units", "counts"}', schema: { type: 'object', required: ['procedures', 'units', 'counts'] } } }, problems: [503] },
  },
  {
    method: 'get',
    path: '/v1/kpi/units',
    doc: {
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
    },
  },
  {
    method: 'get',
    path: '/v1/kpi/units/{unit}',
    doc: {
      tag: 'kpi',
      summary: "One unit's indicators, by procedure",
      roles: ['kpi'],
      params: { unit: 'the unit code' },
      query: [PERIOD],
      responses: { 200: { description: 'The unit', schema: INDICATORS } },
      problems: [...KPI_PROBLEMS, 404],
    },
  },
  {
    method: 'get',
    path: '/v1/kpi/warnings',
    doc: {
      tag: 'kpi',
      summary: 'Early warnings for lagging units and dossiers',
      roles: ['kpi'],
      query: [PERIOD, { name: 'unit', description: 'only this unit' }, { name: 'code', description: 'only warnings of this code' }],
      responses: { 200: { description: '{"period", "asOf", "items"}', schema: { type: 'object', required: ['period', 'asOf', 'items'], properties: { items: { type: 'array', items: { type: 'object' } } } } } },
      problems: KPI_PROBLEMS,
    },
  },
];
