-- Indicator facts (shared/KPI.md "What is stored"): per dossier, the fields the indicators need from
-- its highest accepted revision, and nothing else: no names, identity numbers, contact data,
-- addresses or free text. Dates are instants (the portal's local time, UTC+7, converted).

CREATE TABLE kpi_dossier (
  ma_ho_so           text PRIMARY KEY,
  -- The highest accepted revision: an upsert with a lower one changes nothing.
  revision           bigint NOT NULL,
  -- The agency code that opens MaHoSo (text before the first "-").
  unit               text NOT NULL,
  ma_tthc            text,
  status             smallint,                -- TrangThaiHoSo
  channel            smallint,                -- KenhThucHien
  received_at        timestamptz,             -- NgayTiepNhan
  due_at             timestamptz,             -- NgayHenTra
  finished_at        timestamptz,             -- NgayKetThucXuLy
  returned_at        timestamptz,             -- NgayTra
  fee_bearing        boolean NOT NULL,        -- a DanhSachLePhi item with Gia > 0
  paid_online        boolean NOT NULL,        -- DuocThanhToanTrucTuyen 1 or 2
  vneid              boolean NOT NULL,        -- TaiKhoanDuocXacThucVoiVNeID = 1
  reused_digitised   boolean NOT NULL,        -- HoSoCoThanhPhanSoHoa = 1
  result_documents   boolean NOT NULL,        -- DanhSachGiayToKetQua not empty
  -- The highest revision the portal acknowledged (delivered events); synced when >= revision.
  delivered_revision bigint,
  -- Summary of the progress items (kpi_progress), kept by the projection for the on-time rules.
  supplement_requests integer NOT NULL DEFAULT 0,  -- distinct ThoiDiemXuLy with TrangThai 5
  supplement_at      timestamptz,                  -- the first supplement request
  resumed_at         timestamptz,                  -- first item after it whose TrangThai is not 5
  last_progress_at   timestamptz,                  -- the latest ThoiDiemXuLy
  accepted_at        timestamptz NOT NULL,         -- when the gateway accepted the revision
  updated_at         timestamptz NOT NULL DEFAULT now()
);

-- A period's figures scan the dossiers received in it; a unit's, those of the unit.
CREATE INDEX kpi_dossier_received ON kpi_dossier (received_at);
CREATE INDEX kpi_dossier_unit_received ON kpi_dossier (unit, received_at);
-- Dossier warnings look only at open dossiers.
CREATE INDEX kpi_dossier_open ON kpi_dossier (received_at) WHERE status IN (2, 4, 5, 6);

-- Progress items: only their time and status (no officer, no text).
CREATE TABLE kpi_progress (
  ma_ho_so   text NOT NULL REFERENCES kpi_dossier (ma_ho_so) ON DELETE CASCADE,
  at         timestamptz NOT NULL,          -- ThoiDiemXuLy
  trang_thai smallint NOT NULL,             -- TrangThai (-1 when not a number)
  PRIMARY KEY (ma_ho_so, at, trang_thai)
);

-- The catalogue (Decision 4445's list, loaded by an operator).
CREATE TABLE kpi_procedure (
  ma_tthc text PRIMARY KEY,
  name    text,
  level   text NOT NULL CHECK (level IN ('city', 'commune')),
  online  text NOT NULL CHECK (online IN ('full', 'partial'))
);

CREATE TABLE kpi_unit (
  code  text PRIMARY KEY,
  name  text,
  level text NOT NULL CHECK (level IN ('city', 'commune'))
);
