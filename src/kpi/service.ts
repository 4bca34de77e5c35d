/**
 * The indicators service behind /v1/kpi: catalogue, figures per unit and per procedure, warnings,
 * all read from PostgreSQL through the records (503 store_unavailable while it is unset or down).
 */
import type { KpiConfig } from '../config.js';
import type { Records } from '../records/records.js';
import { countCatalog, parseCatalog, readCatalog, replaceCatalog, type Catalog, type CatalogCounts } from './catalog.js';
import { countsBy, dossierWarningRows, sumRows, unitKnown, type GroupRow } from './figures.js';
import { byFullyOnlineRate, indicators, pointsEstimate, ZERO, type Indicators } from './indicators.js';
import { asOf as asOfOf, localIso, periodJson, type Period } from './period.js';
import { dossierWarning, unitWarnings, type Warning, type WarningCode } from './warnings.js';

export type UnitFigures = { unit: string; name: string | null; level: string | null } & Indicators & { points766Estimate: { total: number; max: number } };

export interface UnitsAnswer {
  period: { label: string; from: string; to: string };
  asOf: string;
  /** The warning thresholds in force (KPI_* variables), so a reader can colour rates against them. */
  thresholds: { minDossiers: number; fullyOnlineRate: number; onTimeRate: number; dueSoonHours: number };
  total: Indicators & { points766Estimate: { total: number; max: number } };
  units: UnitFigures[];
}

export type ProcedureFigures = { maTTHC: string | null; name: string | null; onlineLevel: string | null } & Indicators;

export interface UnitAnswer extends Omit<UnitsAnswer, 'total' | 'units' | 'thresholds'> {
  unit: string;
  name: string | null;
  level: string | null;
  procedures: ProcedureFigures[];
}

const withPoints = <T extends Indicators>(i: T) => ({ ...i, points766Estimate: pointsEstimate(i) });

export class KpiService {
  constructor(
    private readonly records: Records,
    readonly config: KpiConfig,
  ) {}

  async catalog(): Promise<Catalog & { counts: CatalogCounts }> {
    const c = await this.records.read(readCatalog);
    return { ...c, counts: countCatalog(c.procedures) };
  }

  /** Validates first (400 before 503), then replaces the catalogue. */
  async replaceCatalog(body: unknown): Promise<{ procedures: number; fullyOnline: number; units: number }> {
    const c = parseCatalog(body);
    await this.records.write((client) => replaceCatalog(client, c));
    return { procedures: c.procedures.length, fullyOnline: c.procedures.filter((p) => p.online === 'full').length, units: c.units.length };
  }

  async units(period: Period, now = new Date()): Promise<UnitsAnswer> {
    const asOf = asOfOf(period, now);
    return this.records.read(async (pool) => {
      const [rows, catalogUnits] = await Promise.all([
        countsBy(pool, period, asOf, 'unit'),
        pool.query<{ code: string; name: string | null; level: string }>('SELECT code, name, level FROM kpi_unit'),
      ]);
      const byUnit = new Map<string, GroupRow>(rows.map((r) => [r.key!, r]));
      const total = sumRows(rows);
      const names = new Map(catalogUnits.rows.map((u) => [u.code, u]));
      const codes = new Set([...names.keys(), ...byUnit.keys()]);
      const units: UnitFigures[] = [...codes].map((code) => {
        const cat = names.get(code);
        return { unit: code, name: cat?.name ?? null, level: cat?.level ?? null, ...withPoints(indicators(byUnit.get(code) ?? ZERO)) };
      });
      units.sort(byFullyOnlineRate);
      const c = this.config;
      const thresholds = { minDossiers: c.warnMinDossiers, fullyOnlineRate: c.warnFullyOnlineRate, onTimeRate: c.warnOnTimeRate, dueSoonHours: c.dueSoonHours };
      return { period: periodJson(period), asOf: localIso(asOf), thresholds, total: withPoints(indicators(total)), units };
    });
  }

  /** One unit with its procedures; null when the unit is in no catalogue and has no dossier at all. */
  async unit(code: string, period: Period, now = new Date()): Promise<(UnitAnswer & Indicators) | null> {
    const asOf = asOfOf(period, now);
    return this.records.read(async (pool) => {
      if (!(await unitKnown(pool, code))) return null;
      const [rows, unit] = await Promise.all([
        countsBy(pool, period, asOf, 'ma_tthc', code),
        pool.query<{ name: string | null; level: string }>('SELECT name, level FROM kpi_unit WHERE code = $1', [code]),
      ]);
      const keys = rows.map((r) => r.key).filter((k): k is string => k !== null);
      const procs = await pool.query<{ ma_tthc: string; name: string | null; online: string }>(
        'SELECT ma_tthc, name, online FROM kpi_procedure WHERE ma_tthc = ANY($1::text[])',
        [keys],
      );
      const catalog = new Map(procs.rows.map((p) => [p.ma_tthc, p]));
      const total = sumRows(rows);
      const procedures: ProcedureFigures[] = rows
        .map((r) => {
          const p = r.key === null ? undefined : catalog.get(r.key);
          return { maTTHC: r.key, name: p?.name ?? null, onlineLevel: p?.online ?? null, ...indicators(r) };
        })
        .sort((a, b) => (a.maTTHC === b.maTTHC ? 0 : a.maTTHC === null ? 1 : b.maTTHC === null ? -1 : a.maTTHC < b.maTTHC ? -1 : 1));
      const u = unit.rows[0];
      return {
        period: periodJson(period),
        asOf: localIso(asOf),
        unit: code,
        name: u?.name ?? null,
        level: u?.level ?? null,
        ...withPoints(indicators(total)),
        procedures,
      };
    });
  }

  async warnings(period: Period, filter: { unit?: string; code?: WarningCode } = {}, now = new Date()) {
    const asOf = asOfOf(period, now);
    const wantUnit = !filter.code || filter.code === 'fully_online_rate_low' || filter.code === 'on_time_rate_low';
    const wantDossier = !filter.code || filter.code === 'dossier_overdue' || filter.code === 'dossier_due_soon';
    const items: Warning[] = [];
    await this.records.read(async (pool) => {
      if (wantUnit) {
        const rows = await countsBy(pool, period, asOf, 'unit', filter.unit);
        const units = rows.filter((r) => r.key !== null).sort((a, b) => (a.key! < b.key! ? -1 : a.key! > b.key! ? 1 : 0));
        for (const r of units) items.push(...unitWarnings(r.key!, indicators(r), this.config));
      }
      if (wantDossier) {
        for (const r of await dossierWarningRows(pool, period, asOf, this.config.dueSoonHours, filter.unit)) items.push(dossierWarning(r, this.config));
      }
    });
    return { period: periodJson(period), asOf: localIso(asOf), items: filter.code ? items.filter((w) => w.code === filter.code) : items };
  }
}
