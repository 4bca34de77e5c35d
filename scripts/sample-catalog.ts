/**
 * A SAMPLE catalogue with the shape of Decision 4445/QĐ-UBND: 767 procedures fully online (686 at
 * city level, 81 at commune level) and 1,233 partly online, over 30 city departments and 126
 * communes. The codes and names are made up: the decision's own list is the operator's to load.
 *
 *   npx tsx scripts/sample-catalog.ts > samples/kpi-catalog.sample.csv
 */
import { fileURLToPath } from 'node:url';
import { toCatalogCsv } from '../src/kpi/catalog-file.js';

const FIELDS = ['Xây dựng', 'Đất đai', 'Hộ tịch', 'Kinh doanh', 'Giáo dục', 'Y tế', 'Giao thông', 'Tư pháp', 'Lao động', 'Văn hóa', 'Tài nguyên', 'Công thương'];
const DEPARTMENTS = [
  'Sở Xây dựng', 'Sở Tài nguyên và Môi trường', 'Sở Tư pháp', 'Sở Kế hoạch và Đầu tư', 'Sở Giáo dục và Đào tạo', 'Sở Y tế',
  'Sở Giao thông vận tải', 'Sở Lao động - Thương binh và Xã hội', 'Sở Văn hóa và Thể thao', 'Sở Công Thương', 'Sở Nội vụ',
  'Sở Tài chính', 'Sở Nông nghiệp và Phát triển nông thôn', 'Sở Thông tin và Truyền thông', 'Sở Khoa học và Công nghệ',
  'Sở Du lịch', 'Sở Quy hoạch - Kiến trúc', 'Sở Ngoại vụ', 'Ban Dân tộc', 'Ban Quản lý các khu công nghiệp và chế xuất',
  'Công an thành phố', 'Cục Thuế thành phố', 'Bảo hiểm xã hội thành phố', 'Thanh tra thành phố', 'Văn phòng UBND thành phố',
  'Ban Quản lý dự án đầu tư xây dựng', 'Trung tâm Phục vụ hành chính công', 'Quỹ Đầu tư phát triển', 'Sở Cảnh sát phòng cháy', 'Kho bạc Nhà nước thành phố',
];

export const SAMPLE = { fullCity: 686, fullCommune: 81, partialCity: 950, partialCommune: 283, cityUnits: 30, communeUnits: 126 };

export interface SampleCatalog {
  procedures: Array<{ maTTHC: string; name: string; level: 'city' | 'commune'; online: 'full' | 'partial' }>;
  units: Array<{ code: string; name: string; level: 'city' | 'commune' }>;
}

export const cityUnitCode = (i: number) => `000.00.${String(i + 1).padStart(2, '0')}.H26`;
export const communeUnitCode = (i: number) => `${String(i + 1).padStart(3, '0')}.30.00.H26`;

export function sampleCatalog(): SampleCatalog {
  const procedures: SampleCatalog['procedures'] = [];
  const add = (n: number, level: 'city' | 'commune', online: 'full' | 'partial') => {
    for (let i = 0; i < n; i++) {
      const seq = procedures.filter((p) => p.level === level).length + 1;
      const maTTHC = `${level === 'city' ? 1 : 2}.${String(seq).padStart(6, '0')}`;
      const field = FIELDS[seq % FIELDS.length]!;
      procedures.push({ maTTHC, name: `[MẪU] Thủ tục ${field} số ${seq} (${level === 'city' ? 'cấp thành phố' : 'cấp xã'})`, level, online });
    }
  };
  add(SAMPLE.fullCity, 'city', 'full');
  add(SAMPLE.partialCity, 'city', 'partial');
  add(SAMPLE.fullCommune, 'commune', 'full');
  add(SAMPLE.partialCommune, 'commune', 'partial');
  const units: SampleCatalog['units'] = [
    ...Array.from({ length: SAMPLE.cityUnits }, (_, i) => ({ code: cityUnitCode(i), name: `[MẪU] ${DEPARTMENTS[i % DEPARTMENTS.length]}`, level: 'city' as const })),
    ...Array.from({ length: SAMPLE.communeUnits }, (_, i) => ({ code: communeUnitCode(i), name: `[MẪU] UBND xã/phường số ${i + 1}`, level: 'commune' as const })),
  ];
  return { procedures, units };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(toCatalogCsv(sampleCatalog()));
