/**
 * Dossiers whose every indicator is known by construction (shared/KPI.md), for November 2026, and
 * helpers that put them in the outbox as the sync scripts do (docs/outbox.md).
 */
import type { Redis } from 'ioredis';
import { outboxKey } from '../../src/records/outbox-events.js';
import { packDossier } from '../../src/sync/compression.js';

export const U1 = '000.00.01.H26';
export const U2 = '000.00.02.H26';
export const P_FULL = '1.000001';
export const P_PARTIAL = '1.000002';
export const P_UNKNOWN = '1.000009';

/** Personal data sent with every dossier: it must never reach PostgreSQL. */
export const SECRETS = {
  ChuHoSo: 'Nguyễn Thị Bảo Mật',
  SoGiayToChuHoSo: '001199017777',
  Email: 'baomat.ho.so@example.vn',
  SoDienThoai: '0912777666',
  Fax: '0243777666',
  DiaChiThuongTru: 'Số 77 phố Bí Mật, Hoàn Kiếm',
  TrichYeuHoSo: 'Trích yếu riêng tư của công dân',
  NguoiXuLy: 'Cán bộ Trần Văn Riêng',
};

export const catalog = {
  procedures: [
    { maTTHC: P_FULL, name: 'Cấp giấy phép xây dựng', level: 'city', online: 'full' },
    { maTTHC: P_PARTIAL, name: 'Đăng ký hộ kinh doanh', level: 'commune', online: 'partial' },
  ],
  units: [
    { code: U1, name: 'Sở Xây dựng', level: 'city' },
    { code: U2, name: 'UBND phường Tràng Tiền', level: 'commune' },
    { code: 'X.EMPTY', name: 'Đơn vị chưa có hồ sơ', level: 'commune' },
  ],
};

export function dossier(maHoSo: string, fields: Record<string, unknown>): Record<string, unknown> {
  return {
    MaHoSo: maHoSo,
    TenTTHC: 'Thủ tục',
    ChuHoSo: SECRETS.ChuHoSo,
    SoGiayToChuHoSo: SECRETS.SoGiayToChuHoSo,
    DinhDanhCHS: [{ LoaiDinhDanh: 1, SoDinhDanh: SECRETS.SoGiayToChuHoSo }],
    Email: SECRETS.Email,
    SoDienThoai: SECRETS.SoDienThoai,
    Fax: SECRETS.Fax,
    DiaChiThuongTru: SECRETS.DiaChiThuongTru,
    TrichYeuHoSo: SECRETS.TrichYeuHoSo,
    LoaiDoiTuong: 1,
    ...fields,
  };
}

export interface Revision {
  m: string;
  r: number;
  d: Record<string, unknown>;
  g?: Array<[string, number | string]>;
}

/** The dossiers and revisions of November 2026 (see the expected figures in kpi.api.test.ts). */
export function novemberRevisions(): Revision[] {
  const m = (u: string, n: number) => `${u}-261101-${String(n).padStart(4, '0')}`;
  return [
    // U1
    {
      m: m(U1, 1), r: 1,
      d: { MaTTHC: P_FULL, KenhThucHien: 2, TrangThaiHoSo: 10, NgayTiepNhan: '20261105080000', NgayHenTra: '20261110170000', NgayKetThucXuLy: '20261108090000', NgayTra: '20261108100000',
        DanhSachLePhi: [{ TenPhiLePhi: 'Lệ phí', Gia: '50000' }], DuocThanhToanTrucTuyen: '1', TaiKhoanDuocXacThucVoiVNeID: '1', HoSoCoThanhPhanSoHoa: 1, DanhSachGiayToKetQua: [{ TenGiayTo: 'Giấy phép' }] },
      g: [['20261105090000', 2], ['20261108090000', 9]],
    },
    { m: m(U1, 2), r: 1, d: { MaTTHC: P_FULL, KenhThucHien: '1', TrangThaiHoSo: 4, NgayTiepNhan: '20261120080000', NgayHenTra: '20261125170000', DanhSachLePhi: [{ Gia: 0 }] } },
    { m: m(U1, 3), r: 1, d: { MaTTHC: P_PARTIAL, KenhThucHien: 2, TrangThaiHoSo: 4, NgayTiepNhan: '20261101000000', NgayHenTra: '20261103170000' }, g: [['20261101010000', 2], ['20261102080000', 5]] },
    {
      m: m(U1, 3), r: 2,
      d: { MaTTHC: P_PARTIAL, KenhThucHien: 2, TrangThaiHoSo: 9, NgayTiepNhan: '20261101000000', NgayHenTra: '20261103170000', NgayKetThucXuLy: '20261104120000', DanhSachLePhi: [{ Gia: 30000 }], DuocThanhToanTrucTuyen: 2, DanhSachGiayToKetQua: [] },
      g: [['20261103080000', 4], ['20261104120000', 9]],
    },
    { m: m(U1, 4), r: 1, d: { MaTTHC: P_FULL, KenhThucHien: 1, TrangThaiHoSo: 5, NgayTiepNhan: '20261115080000', NgayHenTra: '20261120170000' }, g: [['20261118080000', 5], ['20261118080000', '5']] },
    { m: m(U1, 5), r: 1, d: { MaTTHC: P_FULL, KenhThucHien: 2, TrangThaiHoSo: 8, NgayTiepNhan: '20261110080000', NgayHenTra: '20261130170000', NgayKetThucXuLy: '20261112080000', DanhSachLePhi: [{ Gia: 'abc' }] }, g: [['20261110090000', 5], ['20261111090000', 5]] },
    { m: m(U1, 6), r: 1, d: { MaTTHC: P_FULL, KenhThucHien: 2, TrangThaiHoSo: 1, NgayTiepNhan: '20261110080000', NgayHenTra: '20261130170000' } },
    { m: m(U1, 7), r: 1, d: { MaTTHC: P_FULL, KenhThucHien: 2, TrangThaiHoSo: 3, NgayTiepNhan: '20261110080000', NgayHenTra: '20261130170000' } },
    { m: m(U1, 8), r: 1, d: { MaTTHC: P_FULL, KenhThucHien: 2, TrangThaiHoSo: 2, NgayTiepNhan: '20261031235959', NgayHenTra: '20261130170000' } },
    { m: m(U1, 9), r: 1, d: { MaTTHC: P_UNKNOWN, KenhThucHien: 2, TrangThaiHoSo: 7, NgayTiepNhan: '20261130235959', NgayHenTra: '20261101000000' } },
    // U2: revision 2 then a stale revision 1 (changes nothing)
    { m: m(U2, 10), r: 2, d: { MaTTHC: P_FULL, KenhThucHien: 2, TrangThaiHoSo: 2, NgayTiepNhan: '20261105080000', NgayHenTra: '20261110170000' } },
    { m: m(U2, 10), r: 1, d: { MaTTHC: P_FULL, KenhThucHien: 1, TrangThaiHoSo: 10, NgayTiepNhan: '20261005080000', NgayHenTra: '20261210170000', NgayTra: '20261006080000' } },
    { m: m(U2, 11), r: 1, d: { MaTTHC: P_FULL, KenhThucHien: '2', TrangThaiHoSo: 2, NgayTiepNhan: '20261125080000', NgayHenTra: '20261201120000' } },
    // A unit in no catalogue
    { m: 'Z99-261101-0012', r: 1, d: { MaTTHC: P_PARTIAL, KenhThucHien: 1, TrangThaiHoSo: 2, NgayTiepNhan: '20261112080000', NgayHenTra: '20270101080000' } },
  ];
}

export const NOVEMBER_DELIVERED: Array<[string, number]> = [
  [`${U1}-261101-0001`, 1],
  [`${U1}-261101-0003`, 1],
];

export async function pushAccepted(redis: Redis, prefix: string, rev: Revision): Promise<void> {
  const d = { ...rev.d, MaHoSo: rev.m };
  const full = dossier(rev.m, d);
  await redis.xadd(outboxKey(prefix), '*', 't', 'accepted', 'm', rev.m, 'r', String(rev.r), 'at', String(Date.now()), 'x', packDossier(JSON.stringify(full)), 'g', JSON.stringify(rev.g ?? []));
}

export async function pushDelivered(redis: Redis, prefix: string, m: string, r: number): Promise<void> {
  await redis.xadd(outboxKey(prefix), '*', 't', 'delivered', 'm', m, 'r', String(r), 'at', String(Date.now()));
}
