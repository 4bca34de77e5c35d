/** The settings of dossier history and reconciliation: defaults of shared/API.md, bad values named. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('history and reconciliation settings', () => {
  it('default to 1825 days of history, 365 of copies, 60 checks a minute and 10 drifts an hour', () => {
    const c = loadConfig({});
    expect(c.history).toEqual({ retentionDays: 1825, copyRetentionDays: 365, reconcilePerMinute: 60 });
    expect(c.alerts.driftPerHour).toBe(10);
  });

  it('take 0 checks a minute as off, and read every variable', () => {
    const c = loadConfig({ RECONCILE_PER_MINUTE: '0', HISTORY_RETENTION_DAYS: '30', DOSSIER_COPY_RETENTION_DAYS: '7', ALERT_DRIFT_PER_HOUR: '0' });
    expect(c.history).toEqual({ retentionDays: 30, copyRetentionDays: 7, reconcilePerMinute: 0 });
    expect(c.alerts.driftPerHour).toBe(0);
  });

  it('name the variable of a bad value', () => {
    for (const [name, value] of [
      ['RECONCILE_PER_MINUTE', '-1'],
      ['RECONCILE_PER_MINUTE', 'fast'],
      ['HISTORY_RETENTION_DAYS', '0'],
      ['DOSSIER_COPY_RETENTION_DAYS', '1.5'],
      ['ALERT_DRIFT_PER_HOUR', '-3'],
    ]) {
      expect(() => loadConfig({ [name!]: value }), `${name}=${value}`).toThrow(ConfigError);
      expect(() => loadConfig({ [name!]: value })).toThrow(new RegExp(`^${name}:`));
    }
  });
});
