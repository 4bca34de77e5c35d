/**
 * The indicator commands of the operations command line (registered by scripts/ops-cli.ts):
 *
 *   catalog import <file.csv|file.xlsx>...   replace the catalogue from files with the API's columns (role ops)
 *   catalog show                             counts, and the units and procedures loaded
 *   kpi units [--period P] [--xlsx file]     the units table of a period (default: the current month)
 *   kpi unit <code> [--period P] [--xlsx f]  one unit and its procedures
 *   kpi warnings [--period P] [--unit U] [--code C] [--xlsx file]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { CatalogCounts } from '../src/kpi/catalog.js';
import { classifyRows, parseCsv, readXlsx, type CatalogRows } from '../src/kpi/catalog-file.js';
import { ApiError, CliError, keyValues, out, printJson, run, table, type Cell, type Client, type GlobalOptions } from './ops-cli.js';

interface CatalogAnswer {
  procedures: Array<{ maTTHC: string; name: string | null; level: string; online: string }>;
  units: Array<{ code: string; name: string | null; level: string }>;
  counts: CatalogCounts;
}
type Figures = Record<string, number | null>;
interface UnitsAnswer {
  period: { label: string; from: string; to: string };
  asOf: string;
  total: Figures;
  units: Array<Figures & { unit: string; name: string | null; level: string | null }>;
}

const pct = (r: number | null | undefined): Cell => (r === null || r === undefined ? null : `${(r * 100).toFixed(1)}%`);
const ROW_HEADERS = ['RECEIVED', 'ONLINE%', 'FULLY_ONLINE', 'FULLY%', 'ON_TIME%', 'OVERDUE', 'SYNCED%', 'PAID_ONLINE%', 'VNEID%', 'E_RESULT%'];
const rowCells = (f: Figures): Cell[] => [
  f.received, pct(f.onlineRate), `${f.fullyOnline}/${f.fullyOnlineEligible}`, pct(f.fullyOnlineRate), pct(f.onTimeRate), f.overdueOpen,
  pct(f.syncedRate), pct(f.paidOnlineRate), pct(f.vneidRate), pct(f.eResultRate),
];

async function readCatalogFiles(files: string[], json: boolean): Promise<CatalogRows> {
  const rows: CatalogRows = { procedures: [], units: [] };
  const bar = json
    ? null
    : new cliProgress.SingleBar({ format: 'reading [{bar}] {value}/{total} file(s) · {rows} rows {file}', hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic);
  bar?.start(files.length, 0, { rows: 0, file: '' });
  try {
    for (const file of files) {
      let content: Buffer;
      try {
        content = readFileSync(file);
      } catch (e) {
        throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
      try {
        if (/\.xlsx$/i.test(file)) await readXlsx(content, file, rows);
        else if (/\.csv$/i.test(file)) classifyRows(parseCsv(content.toString('utf8')), file, rows);
        else throw new Error(`${file}: only .csv and .xlsx files are read`);
      } catch (e) {
        throw new CliError((e as Error).message);
      }
      bar?.increment(1, { rows: rows.procedures.length + rows.units.length, file });
    }
  } finally {
    bar?.stop();
  }
  return rows;
}

async function importCatalog(client: Client, g: GlobalOptions, files: string[]): Promise<void> {
  const rows = await readCatalogFiles(files, Boolean(g.json));
  if (rows.procedures.length === 0 && rows.units.length === 0) throw new CliError('the files hold no procedure (maTTHC) and no unit (code)');
  const body = {
    procedures: rows.procedures.map((p) => ({ maTTHC: p.maTTHC, name: p.name || null, level: p.level, online: p.online })),
    units: rows.units.map((u) => ({ code: u.code, name: u.name || null, level: u.level })),
  };
  let answer: { procedures: number; fullyOnline: number; units: number };
  try {
    answer = await client.request('PUT', '/v1/kpi/catalog', body);
  } catch (e) {
    // The gateway names every bad field; say them with the file's row numbers in mind.
    if (e instanceof ApiError && e.errors.length > 0) throw new CliError(`${e.message}\n${e.errors.map((x) => `  ${x.path} ${x.message}`).join('\n')}`);
    throw e;
  }
  if (g.json) return printJson(answer);
  out(`catalogue replaced: ${answer.procedures} procedure(s), ${answer.fullyOnline} fully online, ${answer.units} unit(s)`);
}

async function showCatalog(client: Client, g: GlobalOptions): Promise<void> {
  const c = await client.request<CatalogAnswer>('GET', '/v1/kpi/catalog');
  if (g.json) return printJson(c);
  const n = c.counts;
  keyValues([
    ['procedures', n.procedures],
    ['fully online', `${n.fullyOnline} (city ${n.fullyOnlineCity}, commune ${n.fullyOnlineCommune})`],
    ['partly online', n.partiallyOnline],
    ['by level', `city ${n.city}, commune ${n.commune}`],
    ['units', c.units.length],
  ]);
  out();
  table(['UNIT', 'LEVEL', 'NAME'], c.units.map((u) => [u.code, u.level, u.name]));
}

const periodQuery = (period: string | undefined, extra: Record<string, string | undefined> = {}) => {
  const q = new URLSearchParams();
  if (period !== undefined) q.set('period', period);
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
};

async function saveXlsx(client: Client, path: string, file: string): Promise<void> {
  const bytes = await client.download(`${path}${path.includes('?') ? '&' : '?'}format=xlsx`);
  writeFileSync(file, bytes);
  out(`wrote ${file} (${bytes.length} bytes)`);
}

async function units(client: Client, g: GlobalOptions, o: { period?: string; xlsx?: string }): Promise<void> {
  const path = `/v1/kpi/units${periodQuery(o.period)}`;
  if (o.xlsx) return saveXlsx(client, path, o.xlsx);
  const a = await client.request<UnitsAnswer>('GET', path);
  if (g.json) return printJson(a);
  out(`period ${a.period.label} (${a.period.from} – ${a.period.to}), as of ${a.asOf}`);
  table(['UNIT', 'NAME', ...ROW_HEADERS], [...a.units.map((u) => [u.unit, u.name, ...rowCells(u)]), ['TOTAL', null, ...rowCells(a.total)]]);
}

async function unit(client: Client, g: GlobalOptions, code: string, o: { period?: string; xlsx?: string }): Promise<void> {
  const path = `/v1/kpi/units/${encodeURIComponent(code)}${periodQuery(o.period)}`;
  if (o.xlsx) return saveXlsx(client, path, o.xlsx);
  const a = await client.request<{ period: UnitsAnswer['period']; asOf: string; name: string | null; procedures: Array<Figures & { maTTHC: string; name: string | null; onlineLevel: string | null }> }>('GET', path);
  if (g.json) return printJson(a);
  out(`${code}${a.name ? ` ${a.name}` : ''}: period ${a.period.label}, as of ${a.asOf}`);
  table(['PROCEDURE', 'ONLINE', ...ROW_HEADERS], [...a.procedures.map((p) => [p.maTTHC, p.onlineLevel, ...rowCells(p)]), ['TOTAL', null, ...rowCells(a as unknown as Figures)]]);
}

async function warnings(client: Client, g: GlobalOptions, o: { period?: string; unit?: string; code?: string; xlsx?: string }): Promise<void> {
  const path = `/v1/kpi/warnings${periodQuery(o.period, { unit: o.unit, code: o.code })}`;
  if (o.xlsx) return saveXlsx(client, path, o.xlsx);
  const a = await client.request<{ period: { label: string }; asOf: string; items: Array<{ code: string; unit: string; maHoSo: string | null; message: string }> }>('GET', path);
  if (g.json) return printJson(a);
  if (a.items.length === 0) return out(`no warnings in ${a.period.label} (as of ${a.asOf})`);
  out(`${a.items.length} warning(s) in ${a.period.label} (as of ${a.asOf}):`);
  table(['CODE', 'UNIT', 'MAHOSO', 'MESSAGE'], a.items.map((w) => [w.code, w.unit, w.maHoSo, w.message]));
}

export function registerKpiCommands(program: Command): void {
  const catalog = program.command('catalog').description('the indicator catalogue (Decision 4445 procedures and units)');
  catalog
    .command('import')
    .description('replace the catalogue from CSV or XLSX files (columns maTTHC,name,level,online and code,name,level; role ops)')
    .argument('<files...>', 'CSV or XLSX files')
    .action(run((c, g, cmd) => importCatalog(c, g, cmd.args)));
  catalog.command('show').description('counts, units and (with --json) every procedure').action(run((c, g) => showCatalog(c, g)));

  const kpi = program.command('kpi').description('indicators of Decisions 4445/766 per unit and procedure');
  const periodOption = (cmd: Command) => cmd.option('--period <period>', 'YYYY-MM, YYYY-Qn or YYYY (default: the current month)').option('--xlsx <file>', 'save the Excel report to this file');
  periodOption(kpi.command('units').description('every unit, lowest fully-online rate first')).action(
    run((c, g, cmd) => units(c, g, cmd.opts())),
  );
  periodOption(kpi.command('unit').description('one unit and its procedures').argument('<code>', 'the unit code')).action(
    run((c, g, cmd) => unit(c, g, cmd.args[0]!, cmd.opts())),
  );
  periodOption(kpi.command('warnings').description('early warnings: lagging units, overdue and due-soon dossiers'))
    .option('--unit <code>', 'only this unit')
    .option('--code <code>', 'fully_online_rate_low, on_time_rate_low, dossier_overdue or dossier_due_soon')
    .action(run((c, g, cmd) => warnings(c, g, cmd.opts())));
}
