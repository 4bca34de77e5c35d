/**
 * A stand-in for the civil-status registry behind NGSP: the shared NGSP registry simulator
 * (../shared/ngsp/simulator.ts) speaking shared/UPSTREAMS.md §4 (`traCuuKhaiSinh?soDinhDanh=`),
 * holding the fixture births, with fault injection, readback and the shared `/_sim/` control plane.
 */
import { checkCitizenId } from '../../src/domain/identifiers.js';
import { startNgspSimulator, type NgspSimulator, type NgspSimulatorOptions } from '../shared/ngsp/simulator.js';
import { seededRandom } from '../shared/seeded-random.js';
import { FIXTURE_BIRTHS } from './fixtures/index.js';
import type { WireBirth } from './mapping.js';

export type { NgspFaultUpdate as HotichFaultUpdate, NgspFaults as HotichFaults, NgspSimRequest as HotichSimRequest } from '../shared/ngsp/simulator.js';
export type HotichSimulator = NgspSimulator;

export interface HotichSimulatorOptions extends NgspSimulatorOptions {
  /** The births the registry holds. Default: the fixtures. */
  births?: readonly WireBirth[];
  /** Answer any other valid citizen ID with a made-up birth, the same for the same ID. Default false. */
  generate?: boolean;
}

// Spelled out here rather than imported from the client: the simulator follows UPSTREAMS.md, not the adapter.
const LOOKUP_PATH = '/apiHoTich/1.0/traCuuKhaiSinh';
export const HOTICH_SIM_PORT = 7004;

/** A made-up birth for a valid ID: year and sex as its digits say. */
export function generatedBirth(id: string): WireBirth {
  const random = seededRandom(Number(id.slice(-9)));
  const century = 1900 + Math.floor(Number(id[3]) / 2) * 100;
  const year = century + Number(id.slice(4, 6));
  const month = 1 + Math.floor(random() * 12);
  const day = 1 + Math.floor(random() * 28);
  const pad = (n: number) => String(n).padStart(2, '0');
  const given = ['An', 'Bình', 'Chi', 'Dũng', 'Hà', 'Khánh', 'Linh', 'Minh'][Math.floor(random() * 8)]!;
  return {
    SoDinhDanh: id,
    HoTen: `Nguyễn Văn ${given}`,
    NgaySinh: `${year}-${pad(month)}-${pad(day)}`,
    GioiTinh: Number(id[3]) % 2 === 0 ? 1 : 2,
    NoiSinh: 'Hà Nội',
    QueQuan: 'Hà Nội',
    DanToc: 'Kinh',
    QuocTich: 'Việt Nam',
    SoDangKy: `${Math.floor(random() * 900) + 100}/${year}`,
    QuyenSo: `01/${year}`,
    NgayDangKy: `${year}-${pad(month)}-${pad(Math.min(28, day + 1))}`,
    CoQuanDangKy: { Ma: '00094', Ten: 'UBND phường Láng Hạ' },
    Cha: { HoTen: 'Nguyễn Văn Hùng', SoDinhDanh: null },
    Me: { HoTen: 'Trần Thị Mai', SoDinhDanh: null },
  };
}

export async function startHotichSimulator(options: HotichSimulatorOptions = {}): Promise<HotichSimulator> {
  const held = new Map((options.births ?? FIXTURE_BIRTHS.map((f) => f.wire)).map((b) => [b.SoDinhDanh, JSON.stringify({ KetQua: [b] })]));
  return startNgspSimulator(
    {
      lookupPath: LOOKUP_PATH,
      queryParam: 'soDinhDanh',
      find: (id) => held.get(id) ?? (options.generate && checkCitizenId(id) === null ? JSON.stringify({ KetQua: [generatedBirth(id)] }) : undefined),
      emptyAnswer: '{"KetQua":[]}',
      malformedAnswers: [
        ['application/json', '{"KetQua": [{"SoDinhDanh": "00'],
        ['text/html', '<html><body><h1>502 Bad Gateway</h1></body></html>'],
        ['application/json', '{"KetQua": {"SoDinhDanh": null}}'],
      ],
      personalError: { error: 'invalid_request', error_description: 'Không tìm thấy khai sinh của Nguyễn Minh Khang, số định danh 001215012345' },
      defaultPort: HOTICH_SIM_PORT,
      clientId: 'dvc-gateway',
      clientSecret: 'hotich-secret',
    },
    options,
  );
}
