/**
 * Early warnings (shared/KPI.md, Decision 4445 duty e): unit-level ones from a unit's figures, and
 * dossier-level ones from the open dossiers of the period. Messages are Vietnamese, then English.
 */
import type { KpiConfig } from '../config.js';
import type { Indicators } from './indicators.js';
import { localIso } from './period.js';
import type { DossierWarningRow } from './figures.js';

export const WARNING_CODES = ['fully_online_rate_low', 'on_time_rate_low', 'dossier_overdue', 'dossier_due_soon'] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

export interface Warning {
  code: WarningCode;
  unit: string;
  maHoSo: string | null;
  maTTHC: string | null;
  value: number | null;
  threshold: number | null;
  message: string;
}

const pct = (r: number) => `${(Math.round(r * 1000) / 10).toString()} %`;
/** Vietnamese writes a decimal comma. */
const pctVi = (r: number) => pct(r).replace('.', ',');
/** An instant as people in Hà Nội read it: `17:00 25/11/2026`. */
function localText(d: Date): string {
  const iso = localIso(d);
  return `${iso.slice(11, 16)} ${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
}

export function unitWarnings(unit: string, i: Indicators, c: KpiConfig): Warning[] {
  const out: Warning[] = [];
  if (i.fullyOnlineEligible! >= c.warnMinDossiers && i.fullyOnlineRate !== null && i.fullyOnlineRate < c.warnFullyOnlineRate) {
    out.push({
      code: 'fully_online_rate_low',
      unit,
      maHoSo: null,
      maTTHC: null,
      value: i.fullyOnlineRate,
      threshold: c.warnFullyOnlineRate,
      message:
        `Tỷ lệ hồ sơ trực tuyến toàn trình ${pctVi(i.fullyOnlineRate)} thấp hơn ngưỡng ${pctVi(c.warnFullyOnlineRate)} (${i.fullyOnline}/${i.fullyOnlineEligible} hồ sơ) · ` +
        `fully-online rate ${pct(i.fullyOnlineRate)} below ${pct(c.warnFullyOnlineRate)} (${i.fullyOnline} of ${i.fullyOnlineEligible} dossiers)`,
    });
  }
  if (i.received! >= c.warnMinDossiers && i.onTimeRate !== null && i.onTimeRate < c.warnOnTimeRate) {
    out.push({
      code: 'on_time_rate_low',
      unit,
      maHoSo: null,
      maTTHC: null,
      value: i.onTimeRate,
      threshold: c.warnOnTimeRate,
      message:
        `Tỷ lệ hồ sơ đúng hạn ${pctVi(i.onTimeRate)} thấp hơn ngưỡng ${pctVi(c.warnOnTimeRate)} (${i.onTime}/${i.received} hồ sơ) · ` +
        `on-time rate ${pct(i.onTimeRate)} below ${pct(c.warnOnTimeRate)} (${i.onTime} of ${i.received} dossiers)`,
    });
  }
  return out;
}

export function dossierWarning(r: DossierWarningRow, c: KpiConfig): Warning {
  const due = r.due_at ? localText(r.due_at) : '—';
  const overdue = !r.on_time;
  return {
    code: overdue ? 'dossier_overdue' : 'dossier_due_soon',
    unit: r.unit,
    maHoSo: r.ma_ho_so,
    maTTHC: r.ma_tthc,
    value: null,
    threshold: null,
    message: overdue
      ? `Hồ sơ quá hạn (hẹn trả ${due}) · dossier overdue (due ${due}, Hà Nội time)`
      : `Hồ sơ sắp đến hạn trong ${c.dueSoonHours} giờ (hẹn trả ${due}) · dossier due within ${c.dueSoonHours} h (due ${due}, Hà Nội time)`,
  };
}
