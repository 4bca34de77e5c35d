/**
 * The catalogue (shared/KPI.md "Catalogue"): procedures `{maTTHC, name, level, online}` and units
 * `{code, name, level}`, replaced as a whole by an operator (PUT /v1/kpi/catalog, the CLI's import).
 */
import { ValidationFailed, type FieldError } from '../domain/errors.js';
import type { PoolClient, Pool } from '../records/pool.js';

export type Level = 'city' | 'commune';
export interface Procedure {
  maTTHC: string;
  name: string | null;
  level: Level;
  online: 'full' | 'partial';
}
export interface Unit {
  code: string;
  name: string | null;
  level: Level;
}
export interface Catalog {
  procedures: Procedure[];
  units: Unit[];
}

const MAX_ERRORS = 100;
const LEVELS = ['city', 'commune'];
const ONLINE = ['full', 'partial'];

/** Validates a catalogue body, naming every bad field (JSON Pointers), at most 100 then "… and N more". */
export function parseCatalog(body: unknown): Catalog {
  const errors: FieldError[] = [];
  let extra = 0;
  const fail = (path: string, message: string) => {
    if (errors.length < MAX_ERRORS) errors.push({ path, message });
    else extra++;
  };
  const out: Catalog = { procedures: [], units: [] };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationFailed('invalid_body', 'The catalogue must be a JSON object {"procedures": [...], "units": [...]}', [
      { path: '', message: 'must be an object with procedures and units' },
    ]);
  }
  const b = body as Record<string, unknown>;
  const text = (v: unknown, path: string, required: boolean): string | null => {
    if (v === undefined || v === null) {
      if (required) fail(path, 'is required');
      return null;
    }
    if (typeof v !== 'string') {
      fail(path, 'must be a string');
      return null;
    }
    const trimmed = v.trim();
    if (required && trimmed === '') fail(path, 'must not be empty');
    if (trimmed.length > (required ? 100 : 2_000)) fail(path, `must be at most ${required ? 100 : 2_000} characters`);
    return trimmed;
  };
  const oneOf = (v: unknown, allowed: string[], path: string): string => {
    if (typeof v !== 'string' || !allowed.includes(v)) fail(path, v === undefined ? 'is required' : `must be ${allowed.map((a) => `"${a}"`).join(' or ')}`);
    return v as string;
  };
  for (const [field, parseItem] of [
    [
      'procedures',
      (item: Record<string, unknown>, path: string) => {
        const maTTHC = text(item.maTTHC, `${path}/maTTHC`, true);
        const name = text(item.name, `${path}/name`, false);
        const level = oneOf(item.level, LEVELS, `${path}/level`);
        const online = oneOf(item.online, ONLINE, `${path}/online`);
        return { key: maTTHC, value: { maTTHC: maTTHC ?? '', name: name || null, level, online } as Procedure, keyPath: `${path}/maTTHC` };
      },
    ],
    [
      'units',
      (item: Record<string, unknown>, path: string) => {
        const code = text(item.code, `${path}/code`, true);
        const name = text(item.name, `${path}/name`, false);
        const level = oneOf(item.level, LEVELS, `${path}/level`);
        return { key: code, value: { code: code ?? '', name: name || null, level } as Unit, keyPath: `${path}/code` };
      },
    ],
  ] as const) {
    const list = b[field];
    if (!Array.isArray(list)) {
      fail(`/${field}`, list === undefined ? 'is required' : 'must be an array');
      continue;
    }
    const seen = new Map<string, number>();
    list.forEach((item: unknown, i: number) => {
      const path = `/${field}/${i}`;
      if (typeof item !== 'object' || item === null || Array.isArray(item)) return fail(path, 'must be an object');
      const r = parseItem(item as Record<string, unknown>, path);
      if (r.key) {
        const first = seen.get(r.key);
        if (first !== undefined) fail(r.keyPath, `repeats /${field}/${first}`);
        else seen.set(r.key, i);
      }
      (out[field] as unknown[]).push(r.value);
    });
  }
  const total = errors.length + extra;
  if (extra > 0) errors.push({ path: '', message: `… and ${extra} more` });
  if (total > 0) throw new ValidationFailed('invalid_body', `The catalogue has ${total} invalid field(s)`, errors);
  return out;
}

export interface CatalogCounts {
  procedures: number;
  fullyOnline: number;
  partiallyOnline: number;
  city: number;
  commune: number;
  fullyOnlineCity: number;
  fullyOnlineCommune: number;
}

export function countCatalog(procedures: Procedure[]): CatalogCounts {
  const full = procedures.filter((p) => p.online === 'full');
  return {
    procedures: procedures.length,
    fullyOnline: full.length,
    partiallyOnline: procedures.length - full.length,
    city: procedures.filter((p) => p.level === 'city').length,
    commune: procedures.filter((p) => p.level === 'commune').length,
    fullyOnlineCity: full.filter((p) => p.level === 'city').length,
    fullyOnlineCommune: full.filter((p) => p.level === 'commune').length,
  };
}

/** Replaces the whole catalogue in one transaction. */
export async function replaceCatalog(client: PoolClient, c: Catalog): Promise<void> {
  await client.query('DELETE FROM kpi_procedure');
  await client.query('DELETE FROM kpi_unit');
  await client.query(
    `INSERT INTO kpi_procedure (ma_tthc, name, level, online) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])`,
    [c.procedures.map((p) => p.maTTHC), c.procedures.map((p) => p.name), c.procedures.map((p) => p.level), c.procedures.map((p) => p.online)],
  );
  await client.query(`INSERT INTO kpi_unit (code, name, level) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`, [
    c.units.map((u) => u.code),
    c.units.map((u) => u.name),
    c.units.map((u) => u.level),
  ]);
}

export async function readCatalog(pool: Pool): Promise<Catalog> {
  const [p, u] = await Promise.all([
    pool.query<Procedure>(`SELECT ma_tthc AS "maTTHC", name, level, online FROM kpi_procedure ORDER BY ma_tthc COLLATE "C"`),
    pool.query<Unit>(`SELECT code, name, level FROM kpi_unit ORDER BY code COLLATE "C"`),
  ]);
  return { procedures: p.rows, units: u.rows };
}
