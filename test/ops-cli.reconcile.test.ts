/** `npm run ops -- reconcile start | status`, run as a separate process against an in-process gateway. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDvcqgPortal, sampleDossier } from '../adapters/dvcqg/index.js';
import { KEYS, startTestGateway, type TestGateway } from './support/gateway.js';
import { runOpsCli, type CliRun } from './support/ops-cli.js';
import { OutboxWriter } from './support/outbox.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { testRedis } from './support/redis.js';

let db: TestDatabase;
let t: TestGateway;
let cleanup: () => void;

beforeAll(async () => {
  db = await createTestDatabase('cli');
  t = await startTestGateway({ env: { DATABASE_URL: db.url, RECONCILE_PER_MINUTE: '0' } });
  await t.gateway.records.whenReady();
  const r = testRedis(t.prefix);
  const out = new OutboxWriter(r.redis, t.prefix);
  const direct = createDvcqgPortal({ authUrl: t.portal.authUrl, apiUrl: t.portal.apiUrl, username: 'dvc-gateway', password: 'dvc-gateway-secret', dstcode: 'H26', madonvi: '000.00.00.H26' });
  for (let i = 0; i < 3; i++) {
    const d = sampleDossier(`000.00.03.H26-260715-000${i}`, { NgayTiepNhan: `2026071${5 + i}090000` });
    await direct.syncDossier(d, { knownToPortal: false });
    await out.delivered(d, 1);
  }
  t.portal.tamperDossier('000.00.03.H26-260715-0000', { TrangThaiHoSo: 9 });
  cleanup = () => {
    direct.close();
    r.redis.disconnect();
  };
});
afterAll(async () => {
  cleanup?.();
  await t?.stop();
  await db?.drop();
});

function cli(args: string[], key = KEYS.ops): Promise<CliRun> {
  return runOpsCli(t.url, key, args);
}

describe('ops CLI: reconcile', () => {
  it('start follows the run with a progress bar to its figures; status shows them again', async () => {
    const r = await cli(['reconcile', 'start', '--from', '20260715', '--to', '20260716']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/2 dossier\(s\) queued/);
    expect(r.stderr).toMatch(/reconciling \[/);
    expect(r.stdout).toMatch(/state\s+done/);
    expect(r.stdout).toMatch(/drifted\s+1/);
    expect(r.stdout).toMatch(/repaired\s+1/);
    const id = /reconciliation (rc-\S+):/.exec(r.stdout)![1]!;
    const status = await cli(['--json', 'reconcile', 'status', id], KEYS.opsRead);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual({ id, state: 'done', queued: 2, checked: 2, matched: 1, drifted: 1, repaired: 1, failed: 0 });
    const human = await cli(['reconcile', 'status', id], KEYS.opsRead);
    expect(human.stdout).toMatch(/\] 2\/2 checked/);
  });

  it('start --no-wait prints the id; bad dates and unknown runs fail with one line', async () => {
    const r = await cli(['--json', 'reconcile', 'start', '--no-wait']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: expect.stringMatching(/^rc-/), queued: 3 });
    const bad = await cli(['reconcile', 'start', '--from', '2026-07-15']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/yyyyMMdd/);
    const unknown = await cli(['reconcile', 'status', 'rc-x-00000000'], KEYS.opsRead);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: 404 not_found/);
  });
});
