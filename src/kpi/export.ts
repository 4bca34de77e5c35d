/**
 * Exports of the indicator tables: CSV (RFC 4180, CRLF, null as an empty cell) and an Excel workbook
 * (exceljs) with the same table, the periodic report a unit sends up.
 */
import ExcelJS from 'exceljs';
import { INDICATOR_FIELDS, type Indicators } from './indicators.js';
import type { UnitAnswer, UnitsAnswer } from './service.js';
import type { Warning } from './warnings.js';

export type Cell = string | number | null;
export interface Table {
  title: string;
  columns: string[];
  rows: Cell[][];
  /** Columns holding rates (0–1), shown as percentages in the workbook. */
  rateColumns: Set<string>;
}

const RATES = new Set<string>(INDICATOR_FIELDS.filter((f) => f.endsWith('Rate')));
const pick = (o: object, keys: readonly string[]) => keys.map((k) => ((o as Record<string, unknown>)[k] ?? null) as Cell);

export function unitsTable(a: UnitsAnswer): Table {
  const columns = ['unit', 'name', 'level', ...INDICATOR_FIELDS];
  const rows = a.units.map((u) => pick(u, columns));
  rows.push(['TOTAL', null, null, ...pick(a.total, INDICATOR_FIELDS)]);
  return { title: `Chỉ số ${a.period.label}`, columns, rows, rateColumns: RATES };
}

export function unitTable(a: UnitAnswer & Indicators): Table {
  const columns = ['maTTHC', 'name', 'onlineLevel', ...INDICATOR_FIELDS];
  const rows = a.procedures.map((p) => pick(p, columns));
  rows.push(['TOTAL', a.name, null, ...pick(a, INDICATOR_FIELDS)]);
  return { title: `${a.unit} ${a.period.label}`, columns, rows, rateColumns: RATES };
}

export function warningsTable(a: { period: { label: string }; items: Warning[] }): Table {
  const columns = ['code', 'unit', 'maHoSo', 'maTTHC', 'value', 'threshold', 'message'];
  return { title: `Cảnh báo ${a.period.label}`, columns, rows: a.items.map((w) => pick(w, columns)), rateColumns: new Set(['value', 'threshold']) };
}

function csvCell(v: Cell): string {
  if (v === null) return '';
  const s = typeof v === 'number' ? String(v) : v;
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(t: Table): string {
  return [t.columns, ...t.rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

export async function toXlsx(t: Table): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'dvc-gateway';
  wb.created = new Date();
  const ws = wb.addWorksheet(t.title.replace(/[*?:\\/[\]]/g, ' ').slice(0, 31) || 'KPI', { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = t.columns.map((c) => ({
    header: c,
    key: c,
    width: c === 'name' || c === 'message' ? 40 : Math.max(10, c.length + 2),
    style: t.rateColumns.has(c) ? { numFmt: '0.0%' } : {},
  }));
  ws.getRow(1).font = { bold: true };
  for (const r of t.rows) ws.addRow(r.map((v) => (v === null ? undefined : v)));
  const last = ws.lastRow;
  if (last && t.rows.at(-1)?.[0] === 'TOTAL') last.font = { bold: true };
  return Buffer.from(await wb.xlsx.writeBuffer());
}
