/** Configuration of the durable records and the indicators: DATABASE_URL and the KPI_* variables. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('records and indicator settings', () => {
  it('default to no PostgreSQL and the thresholds of KPI.md', () => {
    const c = loadConfig({});
    expect(c.databaseUrl).toBeUndefined();
    expect(c.kpi).toEqual({ warnMinDossiers: 10, warnFullyOnlineRate: 0.9, warnOnTimeRate: 0.95, dueSoonHours: 24, retentionMonths: 60 });
  });

  it('read DATABASE_URL and KPI_* and refuse what is malformed, naming the variable', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://gw:pw@db:5432/gateway', KPI_WARN_MIN_DOSSIERS: '25', KPI_WARN_FULLY_ONLINE_RATE: '0.8', KPI_RETENTION_MONTHS: '36' });
    expect(c.databaseUrl).toBe('postgres://gw:pw@db:5432/gateway');
    expect(c.kpi).toMatchObject({ warnMinDossiers: 25, warnFullyOnlineRate: 0.8, retentionMonths: 36 });
    for (const [name, value, pattern] of [
      ['DATABASE_URL', 'mysql://db/gw', /DATABASE_URL: must start with postgres:\/\//],
      ['DATABASE_URL', 'not a url', /DATABASE_URL: must be a URL/],
      ['KPI_WARN_FULLY_ONLINE_RATE', '1.5', /KPI_WARN_FULLY_ONLINE_RATE: must be at most 1/],
      ['KPI_WARN_MIN_DOSSIERS', '0', /KPI_WARN_MIN_DOSSIERS: must be at least 1/],
      ['KPI_RETENTION_MONTHS', 'x', /KPI_RETENTION_MONTHS: must be a whole number/],
    ] as const) {
      expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
      expect(() => loadConfig({ [name]: value })).toThrow(pattern);
    }
  });
});
