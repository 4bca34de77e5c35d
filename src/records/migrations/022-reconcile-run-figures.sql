-- Reconciliation, second step.

-- The continuous reconciler counts a delivery (which the portal acknowledged) as a check: it orders
-- delivered dossiers by their last check, or else their delivery.
DROP INDEX reconcile_dossiers_due;
CREATE INDEX reconcile_dossiers_due ON reconcile_dossiers ((COALESCE(checked_at, delivered_at)))
  WHERE delivered_revision IS NOT NULL AND expected_revision = delivered_revision;

-- Run figures kept on the run as its items change, so following a run of a million dossiers reads
-- one row. `open`: items not yet settled; 0 means the run is done.
ALTER TABLE reconcile_runs
  ADD COLUMN checked  integer NOT NULL DEFAULT 0,
  ADD COLUMN matched  integer NOT NULL DEFAULT 0,
  ADD COLUMN drifted  integer NOT NULL DEFAULT 0,
  ADD COLUMN repaired integer NOT NULL DEFAULT 0,
  ADD COLUMN failed   integer NOT NULL DEFAULT 0,
  ADD COLUMN open     integer NOT NULL DEFAULT 0;

-- Runs made before this migration: their figures from their items.
UPDATE reconcile_runs r SET
  checked = s.checked, matched = s.matched, drifted = s.drifted, repaired = s.repaired, failed = s.failed, open = s.open
FROM (
  SELECT run_id,
         count(outcome)::int AS checked,
         count(*) FILTER (WHERE outcome = 'matched')::int AS matched,
         count(*) FILTER (WHERE outcome = 'drifted')::int AS drifted,
         count(*) FILTER (WHERE repaired)::int AS repaired,
         count(*) FILTER (WHERE outcome = 'failed')::int AS failed,
         count(*) FILTER (WHERE NOT settled)::int AS open
    FROM reconcile_run_items GROUP BY run_id
) s
WHERE s.run_id = r.id;
