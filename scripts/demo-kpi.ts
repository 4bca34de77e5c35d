/**
 * The demo's month of indicators: the sample catalogue is loaded, then dossiers of the current month
 * are pushed through PUT /v1/dossiers for eight units that differ — one clearly below the
 * fully-online threshold, one late on deadlines — with some dossiers overdue and some due within a day,
 * so the dashboard's indicators page, the warnings and the kpi_unit_lagging alert all show something.
 */
import { sampleDossier, sampleProgress } from '../adapters/dvcqg/index.js';
import { toPortalTimestamp } from '../src/domain/dates.js';
import { cityUnitCode, communeUnitCode, sampleCatalog } from './sample-catalog.js';

type Call = (method: string, path: string, key: string, body?: unknown) => Promise<{ status: number; body: Record<string, unknown> }>;

/** Units of the story: code, dossiers, share of fully-online dossiers sent online, share handled late. */
const STORY = [
  { unit: cityUnitCode(0), dossiers: 60, online: 0.45, late: 0.05 }, // clearly below the 90 % threshold
  { unit: cityUnitCode(1), dossiers: 50, online: 0.93, late: 0.2 }, // online enough, late on deadlines
  { unit: cityUnitCode(2), dossiers: 45, online: 1, late: 0 },
  { unit: cityUnitCode(3), dossiers: 40, online: 0.97, late: 0.02 },
  { unit: communeUnitCode(0), dossiers: 30, online: 0.9, late: 0 },
  { unit: communeUnitCode(1), dossiers: 25, online: 1, late: 0.04 },
  { unit: communeUnitCode(2), dossiers: 20, online: 0.8, late: 0 }, // below, by less
  { unit: communeUnitCode(3), dossiers: 6, online: 0.5, late: 0 }, // too few dossiers to judge
];

/** A deterministic sequence, so every run tells the same story. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

export async function playKpiMonth(call: Call, keys: { sync: string; ops: string }): Promise<{ dossiers: number }> {
  const catalog = sampleCatalog();
  const put = await call('PUT', '/v1/kpi/catalog', keys.ops, catalog);
  if (put.status !== 200) throw new Error(`loading the sample catalogue answered ${put.status}`);
  const full = catalog.procedures.filter((p) => p.online === 'full');
  const partial = catalog.procedures.filter((p) => p.online === 'partial');
  const rnd = random(4445);
  const now = Date.now();
  // The current month so far, in Hà Nội time: from its first instant to a minute ago.
  const local = new Date(now + 7 * 3_600_000);
  const monthStart = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), 1) - 7 * 3_600_000;
  const span = Math.max(60_000, now - 60_000 - monthStart);
  const hour = 3_600_000;
  let n = 0;
  const jobs: Array<() => Promise<unknown>> = [];
  for (const s of STORY) {
    for (let i = 0; i < s.dossiers; i++) {
      const m = `${s.unit}-${toPortalTimestamp(new Date(now)).slice(2, 8)}-K${String(++n).padStart(4, '0')}`;
      const isFull = rnd() < 0.8;
      const proc = isFull ? full[Math.floor(rnd() * full.length)]! : partial[Math.floor(rnd() * partial.length)]!;
      const received = monthStart + Math.floor(rnd() * span);
      const online = isFull ? rnd() < s.online : rnd() < 0.5;
      const roll = rnd();
      // Finished, open with time left, due within a day, or late; late ones as the unit's share says.
      let status = 10;
      let due = received + 5 * 24 * hour;
      let finished: number | null = received + Math.floor(rnd() * 3 * 24 * hour);
      if (rnd() < s.late) {
        status = roll < 0.5 ? 10 : 4;
        due = Math.min(now - hour, received + hour);
        finished = status === 10 ? due + 2 * hour : null;
      } else if (roll < 0.25) {
        status = 4;
        finished = null;
        due = now + (2 + Math.floor(rnd() * 20)) * hour; // due within a day
      } else if (roll < 0.55) {
        status = 2;
        finished = null;
        due = now + 3 * 24 * hour;
      }
      if (finished !== null && finished > now) finished = now - 60_000;
      const ts = (ms: number) => toPortalTimestamp(new Date(ms));
      const dossier = sampleDossier(m, {
        MaTTHC: proc.maTTHC,
        KenhThucHien: online ? 2 : 1,
        TrangThaiHoSo: status,
        NgayTiepNhan: ts(received),
        NgayHenTra: ts(due),
        NgayKetThucXuLy: finished === null ? '' : ts(finished),
        NgayTra: finished === null ? '' : ts(finished),
        TaiKhoanDuocXacThucVoiVNeID: online && rnd() < 0.8 ? 1 : 0,
        DuocThanhToanTrucTuyen: online ? 1 : 0,
        HoSoCoThanhPhanSoHoa: rnd() < 0.6 ? 1 : 0,
      } as never);
      const progress = [sampleProgress(m, new Date(received + 60_000), 2)];
      if (finished !== null) progress.push(sampleProgress(m, new Date(finished), status));
      jobs.push(() => call('PUT', `/v1/dossiers/${m}`, keys.sync, { revision: 1, dossier, progress }));
    }
  }
  for (let i = 0; i < jobs.length; i += 20) await Promise.all(jobs.slice(i, i + 20).map((j) => j()));
  return { dossiers: jobs.length };
}
