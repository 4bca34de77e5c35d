/**
 * Catalogue files for `npm run ops -- catalog import`: CSV (RFC 4180, UTF-8, a BOM allowed) or XLSX
 * (every sheet), with the API's columns. A row with `maTTHC` is a procedure (maTTHC, name, level,
 * online); a row with `code` is a unit (code, name, level). Validation is the gateway's (PUT answers 400
 * naming every bad field); here rows are only read.
 */
import ExcelJS from 'exceljs';

export interface CatalogRows {
  procedures: Array<Record<string, string>>;
  units: Array<Record<string, string>>;
}

/** Parses CSV text into rows of cells (quoted cells may hold commas, quotes and line breaks). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const s = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quoted) {
      if (ch === '"') {
        if (s[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += ch;
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && s[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows.filter((r) => r.some((c) => c.trim() !== ''));
}

const COLUMNS = ['maTTHC', 'code', 'name', 'level', 'online'];

/** Rows (header first) → procedures and units; `where` names the source in errors. */
export function classifyRows(table: string[][], where: string, into: CatalogRows): void {
  if (table.length === 0) return;
  const header = table[0]!.map((h) => h.trim());
  const index = new Map<string, number>();
  header.forEach((h, i) => {
    const known = COLUMNS.find((c) => c.toLowerCase() === h.toLowerCase());
    if (known) index.set(known, i);
  });
  if (!index.has('maTTHC') && !index.has('code')) {
    throw new Error(`${where}: the first row must name the columns (maTTHC, name, level, online for procedures; code, name, level for units)`);
  }
  for (const cells of table.slice(1)) {
    const get = (c: string) => {
      const i = index.get(c);
      return i === undefined ? '' : (cells[i] ?? '').trim();
    };
    if (get('maTTHC')) into.procedures.push({ maTTHC: get('maTTHC'), name: get('name'), level: get('level'), online: get('online') });
    else if (get('code')) into.units.push({ code: get('code'), name: get('name'), level: get('level') });
  }
}

function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') {
    if ('richText' in v) return v.richText.map((r) => r.text).join('');
    if ('text' in v) return String(v.text);
    if ('result' in v) return String(v.result ?? '');
    if (v instanceof Date) return v.toISOString();
  }
  return String(v);
}

export async function readXlsx(content: Buffer, where: string, into: CatalogRows): Promise<void> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(content as never);
  for (const ws of wb.worksheets) {
    const table: string[][] = [];
    ws.eachRow({ includeEmpty: false }, (row) => {
      const cells: string[] = [];
      for (let c = 1; c <= row.cellCount; c++) cells.push(cellText(row.getCell(c).value));
      table.push(cells);
    });
    if (table.length > 0) classifyRows(table, `${where} (sheet ${ws.name})`, into);
  }
}

export function toCatalogCsv(c: { procedures: Array<{ maTTHC: string; name: string | null; level: string; online: string }>; units: Array<{ code: string; name: string | null; level: string }> }): string {
  const q = (s: string | null) => (s === null ? '' : /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = ['maTTHC,code,name,level,online'];
  for (const p of c.procedures) lines.push([q(p.maTTHC), '', q(p.name), p.level, p.online].join(','));
  for (const u of c.units) lines.push(['', q(u.code), q(u.name), u.level, ''].join(','));
  return lines.join('\r\n') + '\r\n';
}
