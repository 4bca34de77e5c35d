/**
 * Unit-level warnings as alerts (`kpi_unit_lagging`, subject: the unit): for the current month, a unit
 * with a unit-level warning fires once when it begins and resolves when it ends; both are posted to
 * ALERT_WEBHOOK_URL by the alert engine. PostgreSQL down: the source fails and alerts stay as they are.
 */
import { Gauge, type Registry } from 'prom-client';
import type { AlertSource, Observation } from '../ops/alerts.js';
import { currentMonth } from './period.js';
import type { KpiService } from './service.js';
import { unitWarnings } from './warnings.js';

export const KPI_ALERT_RULE = 'kpi_unit_lagging';

/**
 * `registry`, when given, gains gateway_kpi_units_lagging: the units with a unit-level warning in the
 * current month, as last observed (Prometheus' copy of kpi_unit_lagging; no unit code in its labels).
 */
export function kpiAlertSource(kpi: KpiService, available: () => boolean, registry?: Registry): AlertSource {
  const lagging = registry
    ? new Gauge({
        name: 'gateway_kpi_units_lagging',
        help: 'Units with a unit-level indicator warning in the current month (KPI.md), as last evaluated; alert kpi_unit_lagging',
        registers: [registry],
      })
    : null;
  return {
    name: 'kpi',
    rules: [KPI_ALERT_RULE],
    async observe(now: number): Promise<Observation[]> {
      if (!available()) throw new Error('PostgreSQL is not available');
      const period = currentMonth(new Date(now));
      const units = await kpi.units(period, new Date(now));
      const observations = units.units.map((u): Observation => {
        const ws = unitWarnings(u.unit, u, kpi.config);
        const first = ws[0];
        const label = u.name ? `${u.unit} (${u.name})` : u.unit;
        return {
          rule: KPI_ALERT_RULE,
          subject: u.unit,
          severity: 'warning',
          breached: ws.length > 0,
          value: first?.value ?? u.fullyOnlineRate ?? 0,
          threshold: first?.threshold ?? kpi.config.warnFullyOnlineRate,
          summary: first
            ? `unit ${label} lags in ${period.label}: ${ws.map((w) => w.code).join(', ')} (${ws.map((w) => w.message.split(' · ')[1] ?? w.message).join('; ')})`
            : `unit ${label} meets the thresholds in ${period.label}`,
        };
      });
      lagging?.set(observations.filter((o) => o.breached).length);
      return observations;
    },
  };
}
