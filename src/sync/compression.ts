/**
 * Dossier data at rest in Redis: deflated with a preset dictionary of the portal's field names and
 * the words dossiers repeat, because a waiting revision's data is most of what it costs in Redis.
 * The dictionary is part of the stored format: never change it in place; add a new version byte.
 * Data that will not wait long may be stored as it is (version byte 0): deflating a dossier costs
 * about a tenth of the gateway's CPU per delivered dossier, for memory it would hold only briefly.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';

const FIELDS = [
  'MaHoSo', 'MaTTHC', 'TenTTHC', 'MaLinhVuc', 'TenLinhVuc', 'KenhThucHien', 'ChuHoSo', 'LoaiDoiTuong', 'MaDoiTuong',
  'SoGiayToChuHoSo', 'DinhDanhCHS', 'LoaiDinhDanh', 'SoDinhDanh', 'TaiKhoanDuocXacThucVoiVNeID', 'SoDienThoai', 'Email', 'Fax',
  'TrichYeuHoSo', 'SoBienNhan', 'NoiNopHoSo', 'NgayNopHoSo', 'NgayTiepNhan', 'NgayHenTra', 'NgayTra', 'NgayTuChoi',
  'NgayKetThucXuLy', 'TrangThaiHoSo', 'DonViXuLy', 'HinhThuc', 'ThongTinKhac', 'ThongTinTra', 'DuocThanhToanTrucTuyen',
  'HoSoCoThanhPhanSoHoa', 'DSKetNoiCSDL', 'MaCSDL', 'TaiLieuNop', 'TepDinhKemId', 'TenTepDinhKem', 'MaThanhPhanHoSo',
  'DuongDanTaiTepTin', 'DanhSachLePhi', 'TenPhiLePhi', 'MaPhiLePhi', 'HinhThucThu', 'Gia', 'LoaiPhiLePhi',
  'DanhSachTepDinhKemKhac', 'DanhSachHoSoBoSung', 'DanhSachGiayToKetQua', 'GhiChu',
];
const WORDS = [
  'Ủy ban nhân dân', 'UBND', 'thành phố Hà Nội', 'quận', 'huyện', 'phường', 'xã', 'thị xã', 'Sở', 'Phòng', 'Cấp giấy phép',
  'giấy chứng nhận', 'đăng ký', 'Đề nghị cấp', 'hồ sơ', 'Lệ phí', 'Phí', 'xây dựng', 'nhà ở', 'đất đai', 'kinh doanh', 'hộ tịch',
  'https://dichvucong.', '.gov.vn/files/', '.pdf', '.H26-', '000.00.', 'Nguyễn', 'Trần', 'Lê', 'Phạm', 'Văn', 'Thị',
];

const DICTIONARY_V1 = Buffer.from(WORDS.join(' ') + FIELDS.map((f) => `"${f}":`).join(''), 'utf8');
const V0 = 0x00;
const V1 = 0x01;

/**
 * A 4 KiB window holds the dictionary and a whole dossier, so a larger one compresses no better (same
 * bytes for the benchmark's dossier) and only costs setting up its tables on every call: 30 % less CPU
 * than zlib's defaults. Any inflater reads it (its window is at least as large).
 */
const DEFLATE = { level: 6, windowBits: 12, memLevel: 5, dictionary: DICTIONARY_V1 } as const;

export function packDossier(json: string): Buffer {
  const body = deflateRawSync(json, DEFLATE);
  return Buffer.concat([Buffer.of(V1), body]);
}

/** The stored form without deflating: version byte 0, then the JSON as UTF-8. */
export function plainDossier(json: string): string {
  return `\u0000${json}`;
}

/** The stored form deflated, for copies kept long (history): plain data is packed, packed data kept as is. */
export function compactDossier(stored: Buffer): Buffer {
  return stored[0] === V0 ? packDossier(stored.toString('utf8', 1)) : stored;
}

export function unpackDossier(stored: Buffer): string {
  if (stored[0] === V0) return stored.toString('utf8', 1);
  if (stored[0] !== V1) throw new Error(`unknown stored dossier format ${stored[0]}`);
  return inflateRawSync(stored.subarray(1), { dictionary: DICTIONARY_V1 }).toString('utf8');
}
