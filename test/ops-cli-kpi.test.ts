/** The indicator commands of the ops command line, as a separate process against an in-process gateway. */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboxKey } from '../src/records/outbox-events.js';
import { KEYS, startTestGateway, waitFor, type TestGateway } from './support/gateway.js';
import { runOpsCli, type CliRun } from './support/ops-cli.js';
import { novemberRevisions, pushAccepted, U1 } from './support/kpi-fixtures.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { testRedis } from './support/redis.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-cli-kpi-'));

let t: TestGateway;
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('clikpi');
  t = await startTestGateway({ env: { DATABASE_URL: db.url } });
  await waitFor('PostgreSQL migrated', () => t.gateway.records.ready);
});
afterAll(async () => {
  await t?.stop();
  await db?.drop();
});

function cli(args: string[], key = KEYS.ops): Promise<CliRun> {
  return runOpsCli(t.url, key, args);
}

describe('ops catalog and kpi', () => {
  it('imports the sample catalogue (CSV) and shows it', async () => {
    const r = await cli(['--json', 'catalog', 'import', 'samples/kpi-catalog.sample.csv']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ procedures: 2000, fullyOnline: 767, units: 156 });
    const show = await cli(['--json', 'catalog', 'show'], KEYS.kpi);
    expect(JSON.parse(show.stdout).counts).toEqual({ procedures: 2000, fullyOnline: 767, partiallyOnline: 1233, city: 1636, commune: 364, fullyOnlineCity: 686, fullyOnlineCommune: 81 });
    const human = await cli(['catalog', 'show'], KEYS.kpi);
    expect(human.stdout).toMatch(/fully online\s+767 \(city 686, commune 81\)/);
  });

  it('imports an XLSX workbook with a sheet of procedures and one of units', async () => {
    const wb = new ExcelJS.Workbook();
    const p = wb.addWorksheet('procedures');
    p.addRow(['maTTHC', 'name', 'level', 'online']);
    p.addRow(['1.000001', 'Cấp phép, "xây dựng"', 'city', 'full']);
    p.addRow(['1.000002', 'Hộ kinh doanh', 'commune', 'partial']);
    const u = wb.addWorksheet('units');
    u.addRow(['code', 'name', 'level']);
    u.addRow([U1, 'Sở Xây dựng', 'city']);
    const file = join(dir, 'catalog.xlsx');
    writeFileSync(file, Buffer.from(await wb.xlsx.writeBuffer()));
    const r = await cli(['catalog', 'import', file]);
    expect(r.stdout).toContain('catalogue replaced: 2 procedure(s), 1 fully online, 1 unit(s)');
    expect(r.code).toBe(0);
  });

  it('names every bad field of a file and exits 1', async () => {
    const file = join(dir, 'bad.csv');
    writeFileSync(file, 'maTTHC,name,level,online\n1.1,x,province,full\n1.2,y,city,sometimes\n');
    const r = await cli(['catalog', 'import', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('/procedures/0/level');
    expect(r.stderr).toContain('/procedures/1/online');
    const role = await cli(['catalog', 'import', file], KEYS.kpi);
    expect(role.stderr).toMatch(/^error: 403 forbidden/);
  });

  it('prints the units table, a unit, the warnings, and saves the Excel report', async () => {
    const { redis, cleanup } = testRedis(`${t.prefix}-none`);
    for (const rev of novemberRevisions()) await pushAccepted(redis, t.prefix, rev);
    await waitFor('drained', async () => (await redis.xlen(outboxKey(t.prefix))) === 0);
    await cleanup();
    const units = await cli(['kpi', 'units', '--period', '2026-11'], KEYS.kpi);
    expect(units.code).toBe(0);
    expect(units.stdout).toMatch(/^period 2026-11 \(2026-11-01T00:00:00\+07:00 – 2026-11-30T23:59:59\+07:00\)/);
    expect(units.stdout).toMatch(/TOTAL\s+-?\s*9\b/);
    const json = JSON.parse((await cli(['--json', 'kpi', 'unit', U1, '--period', '2026-11'], KEYS.kpi)).stdout);
    expect(json.received).toBe(6);
    const warnings = await cli(['kpi', 'warnings', '--period', '2026-11', '--code', 'dossier_overdue'], KEYS.kpi);
    expect(warnings.stdout).toContain('2 warning(s) in 2026-11');
    const file = join(dir, 'units.xlsx');
    const x = await cli(['kpi', 'units', '--period', '2026-11', '--xlsx', file], KEYS.kpi);
    expect(x.code).toBe(0);
    expect(existsSync(file)).toBe(true);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    expect(wb.worksheets[0]!.getRow(1).getCell(1).value).toBe('unit');
    const bad = await cli(['kpi', 'units', '--period', '2026-13'], KEYS.kpi);
    expect(bad.stderr).toMatch(/^error: 400 invalid_query/);
  });
});
