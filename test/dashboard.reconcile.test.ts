/**
 * The dashboard's reconciliation panel in a real browser: the last 24 hours' figures, a date-range
 * run started from the page with an `ops` key, no form for an `ops-read` key. Skips itself without
 * Chromium outside CI, like test/dashboard.test.ts.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDvcqgPortal, sampleDossier } from '../adapters/dvcqg/index.js';
import { KEYS, api, startTestGateway, waitFor, type TestGateway } from './support/gateway.js';
import { OutboxWriter } from './support/outbox.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { testRedis } from './support/redis.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) && !process.env.CI;

describe.skipIf(skip)('dashboard: reconciliation panel', () => {
  let db: TestDatabase;
  let t: TestGateway;
  let browser: Browser;
  let cleanup: () => void;

  beforeAll(async () => {
    db = await createTestDatabase('dash_rc');
    t = await startTestGateway({ env: { DATABASE_URL: db.url, RECONCILE_PER_MINUTE: '0' } });
    await t.gateway.records.whenReady();
    const r = testRedis(t.prefix);
    const out = new OutboxWriter(r.redis, t.prefix);
    const direct = createDvcqgPortal({ authUrl: t.portal.authUrl, apiUrl: t.portal.apiUrl, username: 'dvc-gateway', password: 'dvc-gateway-secret', dstcode: 'H26', madonvi: '000.00.00.H26' });
    for (let i = 0; i < 2; i++) {
      const d = sampleDossier(`000.00.05.H26-260420-000${i}`, { NgayTiepNhan: '20260420090000' });
      await direct.syncDossier(d, { knownToPortal: false });
      await out.delivered(d, 1);
    }
    t.portal.forgetDossier('000.00.05.H26-260420-0001');
    cleanup = () => {
      direct.close();
      r.redis.disconnect();
    };
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'], headless: true });
  });
  afterAll(async () => {
    await browser?.close();
    cleanup?.();
    await t?.stop();
    await db?.drop();
  });

  async function signedIn(key: string): Promise<{ page: Page; errors: string[] }> {
    const page = await (await browser.newContext({ viewport: { width: 1600, height: 1000 }, locale: 'vi-VN' })).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${t.url}/ops/`);
    await page.locator('#apikey').fill(key);
    await page.locator('#signin-submit').click();
    await page.locator('#board').waitFor({ state: 'visible' });
    return { page, errors };
  }

  it('starts a date-range run from the page and shows its figures', async () => {
    const { page, errors } = await signedIn(KEYS.ops);
    await page.locator('[data-testid="rc-checked"]').waitFor();
    expect(await page.locator('#reconcile-form').isVisible()).toBe(true);
    await page.locator('#reconcile-from').fill('2026-04-20');
    await page.locator('#reconcile-to').fill('2026-04-20');
    await page.locator('#reconcile-start').click();
    await page.locator('#toast').filter({ hasText: '2 hồ sơ' }).waitFor();
    await waitFor('the run done', async () => {
      const r = await api(t.url, 'GET', '/v1/ops/reconcile', { key: KEYS.opsRead });
      return r.body.runs[0]?.state === 'done';
    });
    const row = page.locator('[data-testid="reconcile-run"]').first();
    await row.filter({ hasText: 'xong' }).waitFor({ timeout: 20_000 });
    expect(await row.textContent()).toContain('20260420 – 20260420');
    await page.locator('[data-testid="rc-repaired"]').filter({ hasText: '1' }).waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-testid="rc-drifted"] .rc-value').textContent()).toBe('1');
    await page.screenshot({ path: '/tmp/dashboard-reconcile.png', fullPage: true });
    expect(errors).toEqual([]);
  });

  it('shows an ops-read key the figures but no form', async () => {
    const { page } = await signedIn(KEYS.opsRead);
    await page.locator('[data-testid="rc-checked"]').waitFor();
    expect(await page.locator('#reconcile-form').isVisible()).toBe(false);
  });
});
