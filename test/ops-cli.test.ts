/**
 * The operations command line (scripts/ops-cli.ts) run as a separate process against an in-process
 * gateway: JSON output is the API's, human output is tables, and failures are one line with exit code 1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDossier } from '../adapters/dvcqg/index.js';
import { KEYS, api, startTestGateway, waitFor, type TestGateway } from './support/gateway.js';
import { runOpsCli, type CliRun } from './support/ops-cli.js';
import { freePort as closedPort } from '../scripts/free-port.js';


let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t?.stop();
});

function cli(args: string[], options: { key?: string | null; url?: string } = {}): Promise<CliRun> {
  return runOpsCli(options.url ?? t.url, options.key === undefined ? KEYS.ops : options.key, args);
}

/** A loopback port nothing listens on (fetch refuses the well-known "bad" ports such as 1). */

async function makeDeadLetter(m: string): Promise<void> {
  t.portal.setFaults({ rejectMaHoSo: [m], rejectErrorCode: 9, rejectMessage: 'Dữ liệu hồ sơ không hợp lệ' });
  try {
    expect((await api(t.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, body: { revision: 1, dossier: sampleDossier(m) } })).status).toBe(202);
    await waitFor(`${m} dead`, async () => (await api(t.url, 'GET', `/v1/dossiers/${m}`, { key: KEYS.sync })).body.state === 'dead');
  } finally {
    t.portal.resetFaults();
  }
}

describe('ops CLI', () => {
  it('queues --json prints the API shape; queues prints a table', async () => {
    const r = await cli(['queues', '--json']);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as { queues: Array<Record<string, unknown>> };
    const q = body.queues.find((x) => x.name === 'dossier-sync')!;
    expect(q).toMatchObject({ waiting: expect.any(Number), active: expect.any(Number), delayed: expect.any(Number), failed: expect.any(Number), completed: expect.any(Number) });
    expect(q.perMinute).toMatchObject({ completed: expect.any(Number), failed: expect.any(Number) });
    expect(q).toHaveProperty('oldestWaitingAgeSeconds');

    const human = await cli(['queues']);
    expect(human.code).toBe(0);
    expect(human.stdout.split('\n')[0]).toMatch(/^QUEUE\s+WAITING\s+ACTIVE/);
    expect(human.stdout).toMatch(/^dossier-sync\s+\d+/m);
  });

  it('dead-letters list --json pages like the API, and replay-all replays what matches', async () => {
    const m1 = '000.00.01.H26-261129-CLI1';
    const m2 = '000.00.01.H26-261129-CLI2';
    await makeDeadLetter(m1);
    await makeDeadLetter(m2);

    const page = await cli(['dead-letters', 'list', '--limit', '1', '--json']);
    expect(page.code).toBe(0);
    const first = JSON.parse(page.stdout) as { items: Array<Record<string, unknown>>; nextCursor: string | null };
    expect(first.items).toHaveLength(1);
    expect(first.nextCursor).toEqual(expect.any(String));
    expect(first.items[0]).toMatchObject({ id: expect.any(String), maHoSo: m2, revision: 1, kind: 'dossier', reason: { code: 'upstream_rejected', upstreamCode: '9' } });

    const all = JSON.parse((await cli(['dead-letters', 'list', '--limit', '1', '--all', '--json'])).stdout) as { items: Array<{ maHoSo: string }>; nextCursor: null };
    expect(all.items.map((l) => l.maHoSo)).toEqual([m2, m1]);
    expect(all.nextCursor).toBeNull();

    const table = await cli(['dead-letters', 'list'], { key: KEYS.opsRead });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^dl-\\S+\\s+${m1.replace(/\./g, '\\.')}\\s+1\\s+dossier\\s+upstream_rejected\\s+9`, 'm'));

    // ops-read may list but not replay: the API's 403 as one line.
    const refused = await cli(['dead-letters', 'replay-all', '--ma-ho-so', m1], { key: KEYS.opsRead });
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toMatch(/^error: 403 forbidden: .+$/);

    const replay = await cli(['dead-letters', 'replay-all', '--ma-ho-so', m1]);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toContain('replayed 1 of 1');
    await waitFor('the portal to receive the replayed dossier', () => t.portal.dossier(m1) !== undefined);
    expect(t.portal.dossier(m2)).toBeUndefined();

    const left = JSON.parse((await cli(['dead-letters', 'list', '--json'])).stdout) as { items: Array<{ id: string; maHoSo: string }> };
    const letter = left.items.find((l) => l.maHoSo === m2)!;
    const one = await cli(['dead-letters', 'replay', letter.id, '--json']);
    expect(JSON.parse(one.stdout)).toEqual({ replayed: 1 });
    const missing = await cli(['dead-letters', 'replay', letter.id]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toMatch(/^error: 404 not_found: /);
  });

  it('a bad key, a missing key and an unreachable gateway each give one line and exit code 1', async () => {
    const bad = await cli(['queues'], { key: 'not-a-key' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr.trim()).toBe('error: 401 unauthorized: The API key is not known');

    const none = await cli(['queues'], { key: null });
    expect(none.code).toBe(1);
    expect(none.stderr.trim()).toMatch(/^error: no API key/);

    const port = await closedPort();
    const down = await cli(['sync'], { url: `http://127.0.0.1:${port}` });
    expect(down.code).toBe(1);
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
    expect(down.stderr).toMatch(new RegExp(`^error: cannot reach the gateway at http://127\\.0\\.0\\.1:${port}: connection refused`));
  });

  it('prints the other views as text', async () => {
    for (const cmd of ['upstreams', 'alerts', 'sync', 'whoami']) {
      const r = await cli([cmd]);
      expect(r.code, `${cmd}: ${r.stderr}`).toBe(0);
      expect(r.stdout.length).toBeGreaterThan(0);
    }
    expect((await cli(['upstreams'])).stdout).toMatch(/^dvcqg\s+portal\s+closed/m);
    expect(JSON.parse((await cli(['whoami', '--json'], { key: KEYS.opsRead })).stdout)).toEqual({ client: 'monitoring', roles: ['kpi', 'ops-read'] });
  });
});
