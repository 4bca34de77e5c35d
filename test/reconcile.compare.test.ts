/** What reconciliation counts as a difference: notation is forgiven, meaning is not. */
import { describe, expect, it } from 'vitest';
import { compareDossier, normalise, pickCompared, receivedOn } from '../src/reconcile/compare.js';

describe('compareDossier', () => {
  const expected = pickCompared({
    MaHoSo: 'x',
    TrangThaiHoSo: 4,
    KenhThucHien: '2',
    MaTTHC: '1.005129',
    NgayTiepNhan: '20261129080000',
    NgayHenTra: '20261218170000',
    ChuHoSo: 'Nguyễn Văn An',
    GhiChu: '',
  });

  it('keeps only the compared fields that are present', () => {
    expect(expected).toEqual({ TrangThaiHoSo: 4, KenhThucHien: '2', MaTTHC: '1.005129', NgayTiepNhan: '20261129080000', NgayHenTra: '20261218170000' });
  });

  it('agrees across notations of the same value', () => {
    const portal = {
      TrangThaiHoSo: '04',
      KenhThucHien: 2,
      MaTTHC: ' 1.005129 ',
      NgayTiepNhan: 20261129080000,
      NgayHenTra: '2026-12-18T17:00:00',
      NgayKetThucXuLy: '',
      NgayTra: null,
      ChuHoSo: 'someone else',
    };
    expect(compareDossier(expected, portal)).toEqual([]);
    expect(compareDossier(expected, { ...portal, NgayHenTra: '18/12/2026 17:00:00' })).toEqual([]);
  });

  it('names each differing field with both values, absent as null', () => {
    const portal = { TrangThaiHoSo: 5, KenhThucHien: '2', MaTTHC: '1.005129', NgayHenTra: '20261218170000', NgayTra: '20261220100000' };
    expect(compareDossier(expected, portal)).toEqual([
      { field: 'TrangThaiHoSo', portal: 5, expected: 4 },
      { field: 'NgayTiepNhan', portal: null, expected: '20261129080000' },
      { field: 'NgayTra', portal: '20261220100000', expected: null },
    ]);
  });

  it('does not mistake text for a code', () => {
    expect(normalise('TrangThaiHoSo', '4a')).not.toBe(normalise('TrangThaiHoSo', 4));
    expect(normalise('NgayTra', 'tomorrow')).not.toBe(normalise('NgayTra', '20261220100000'));
    expect(normalise('KenhThucHien', true)).not.toBe(normalise('KenhThucHien', 1));
  });

  it('takes the local date of NgayTiepNhan', () => {
    expect(receivedOn({ NgayTiepNhan: '20261129235959' })).toBe('2026-11-29');
    expect(receivedOn({ NgayTiepNhan: 'x' })).toBeNull();
    expect(receivedOn({})).toBeNull();
  });
});
