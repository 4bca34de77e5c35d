-- Reconciliation with the portal (docs/history.md).

-- One row per dossier the gateway accepted: what the portal should show (the compared fields of the
-- delivered revision: codes and dates, no personal data) and when it was last checked.
CREATE TABLE reconcile_dossiers (
  ma_ho_so           text PRIMARY KEY,
  accepted_revision  bigint      NOT NULL DEFAULT 0,
  delivered_revision bigint,
  -- The compared fields of expected_revision, as the source sent them.
  expected           jsonb,
  expected_revision  bigint,
  -- NgayTiepNhan's local date (yyyyMMdd) of the delivered revision, for date-range runs.
  received_on        date,
  delivered_at       timestamptz,
  checked_at         timestamptz,
  -- A drift was found and the portal has not agreed since; last_drift is its detail.
  drift_open         boolean     NOT NULL DEFAULT false,
  last_drift         jsonb,
  -- When the open (or last) drift was found, and when the portal last agreed again after one.
  drift_found_at     timestamptz,
  repaired_at        timestamptz,
  updated_at         timestamptz NOT NULL DEFAULT now()
);
-- The continuous reconciler: least recently checked delivered dossiers first (never checked first).
CREATE INDEX reconcile_dossiers_due ON reconcile_dossiers (checked_at NULLS FIRST, delivered_at)
  WHERE delivered_revision IS NOT NULL AND expected_revision = delivered_revision;
CREATE INDEX reconcile_dossiers_received ON reconcile_dossiers (received_on) WHERE delivered_revision IS NOT NULL;
CREATE INDEX reconcile_dossiers_updated ON reconcile_dossiers (updated_at);
-- Open drifts are checked again before the others.
CREATE INDEX reconcile_dossiers_drifting ON reconcile_dossiers (checked_at) WHERE drift_open;

-- The full dossier of accepted revisions not yet superseded by a delivery (the delivered one
-- included), exactly as the sync state stored it (packed JSON, src/sync/compression.ts): what a repair
-- sends again. It holds personal data, so it is kept apart, with its own retention
-- (DOSSIER_COPY_RETENTION_DAYS), and read only to resend.
CREATE TABLE dossier_copies (
  ma_ho_so  text        NOT NULL,
  revision  bigint      NOT NULL,
  data      bytea       NOT NULL,
  -- The compared fields of this revision, moved into reconcile_dossiers when it is delivered.
  fields    jsonb       NOT NULL,
  stored_at timestamptz NOT NULL,
  PRIMARY KEY (ma_ho_so, revision)
);
CREATE INDEX dossier_copies_stored ON dossier_copies (stored_at);

-- On-demand runs (POST /v1/ops/reconcile) and the dossiers each one queued.
CREATE TABLE reconcile_runs (
  id           text PRIMARY KEY,
  created_at   timestamptz NOT NULL DEFAULT now(),
  requested_by text        NOT NULL,
  filter       jsonb       NOT NULL,
  queued       integer     NOT NULL,
  finished_at  timestamptz
);
CREATE INDEX reconcile_runs_created ON reconcile_runs (created_at);

CREATE TABLE reconcile_run_items (
  run_id          text        NOT NULL REFERENCES reconcile_runs (id) ON DELETE CASCADE,
  ma_ho_so        text        NOT NULL,
  -- null until checked; then matched, drifted or failed.
  outcome         text,
  repaired        boolean     NOT NULL DEFAULT false,
  repair_attempts integer     NOT NULL DEFAULT 0,
  -- Checked, and for a drift the repair concluded (agreed, or given up for now).
  settled         boolean     NOT NULL DEFAULT false,
  next_at         timestamptz NOT NULL DEFAULT now(),
  -- Since when the check has waited for a newer revision's delivery to finish.
  deferred_since  timestamptz,
  PRIMARY KEY (run_id, ma_ho_so)
);
CREATE INDEX reconcile_run_items_due ON reconcile_run_items (next_at) WHERE NOT settled;
-- The continuous reconciler leaves alone the dossiers a run is about to check.
CREATE INDEX reconcile_run_items_open ON reconcile_run_items (ma_ho_so) WHERE NOT settled;

-- Check figures by hour, for the dashboard's last 24 hours (continuous and on-demand checks alike).
CREATE TABLE reconcile_hourly (
  hour     timestamptz PRIMARY KEY,
  checked  integer NOT NULL DEFAULT 0,
  matched  integer NOT NULL DEFAULT 0,
  drifted  integer NOT NULL DEFAULT 0,
  failed   integer NOT NULL DEFAULT 0,
  repaired integer NOT NULL DEFAULT 0
);
