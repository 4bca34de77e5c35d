/**
 * Prometheus' own tools on what the gateway ships: `promtool check metrics` on a live /metrics,
 * `promtool check rules` and `promtool test rules` on deploy/prometheus. promtool is installed by
 * .ci/run; outside CI the tests are skipped where it is missing, in CI (CI=true) they fail.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestGateway, type TestGateway } from './support/gateway.js';

const ROOT = join(import.meta.dirname, '..');
const RULES_DIR = join(ROOT, 'deploy/prometheus');
const installed = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
const inCi = process.env.CI === 'true';

function promtool(args: string[], input?: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8', cwd: RULES_DIR });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

describe.skipIf(!installed && !inCi)('promtool', () => {
  it('is installed (CI installs it)', () => {
    expect(installed, 'promtool is missing: .ci/run installs Debian\'s prometheus package').toBe(true);
  });

  describe('on a live /metrics', () => {
    let t: TestGateway;
    beforeAll(async () => {
      t = await startTestGateway();
    });
    afterAll(async () => {
      await t?.stop();
    });

    it('passes promtool check metrics', async () => {
      // Some traffic first, so the labelled families have series.
      await api(t.url, 'GET', '/health/ready');
      await api(t.url, 'GET', '/v1/ops/queues');
      const metrics = await api(t.url, 'GET', '/metrics');
      expect(metrics.status).toBe(200);
      const r = promtool(['check', 'metrics'], metrics.body as string);
      expect(r.output).toBe('');
      expect(r.status).toBe(0);
    });
  });

  it('accepts deploy/prometheus/alerts.yml (promtool check rules)', () => {
    const r = promtool(['check', 'rules', 'alerts.yml']);
    expect(r.status, r.output).toBe(0);
  });

  it('passes every rule test (promtool test rules)', () => {
    const files = readdirSync(join(RULES_DIR, 'tests')).filter((f) => f.endsWith('.yml'));
    expect(files.length).toBeGreaterThan(0);
    const r = promtool(['test', 'rules', ...files.map((f) => join('tests', f))]);
    expect(r.status, r.output).toBe(0);
  });
});

describe('deploy/prometheus/alerts.yml', () => {
  it('has a rule, and a rule test, for every built-in alert rule', () => {
    // (promtool itself checks the rules and runs the tests, above.)
    // Rules of the alert engine (src/ops/alerts.ts) and of its sources (src/<area>/alerts.ts: `X_ALERT_RULE = '…'`).
    const sources = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('alerts.ts'));
    const builtIn = new Set(
      sources.flatMap((f) => [...readFileSync(join(ROOT, 'src', f), 'utf8').matchAll(/(?:rule: |_ALERT_RULE = )'([a-z_]+)'/g)].map((m) => m[1]!)),
    );
    const rules = readFileSync(join(RULES_DIR, 'alerts.yml'), 'utf8');
    const tests = readdirSync(join(RULES_DIR, 'tests'))
      .filter((f) => f.endsWith('.yml'))
      .map((f) => readFileSync(join(RULES_DIR, 'tests', f), 'utf8'))
      .join('\n');
    expect([...builtIn]).toEqual(expect.arrayContaining(['redis_unreachable', 'store_data_lost', 'circuit_open', 'sync_lag', 'dead_letters_growing', 'backlog_growing']));
    for (const rule of builtIn) {
      expect(rules, `alerts.yml lacks ${rule}`).toMatch(new RegExp(`- alert: ${rule}\\n`));
      expect(tests, `no promtool test case for ${rule}`).toMatch(new RegExp(`alertname: ${rule}\\n`));
    }
  });
});
