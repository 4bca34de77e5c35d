-- Dossier history (docs/history.md): one row per outbox entry about a dossier, keyed and ordered by the
-- entry id (<ms>-<seq>), so a batch copied twice inserts nothing twice. No personal data: revisions,
-- codes, counts, the portal's error code and message.
CREATE TABLE dossier_history (
  entry_ms  bigint      NOT NULL,
  entry_seq bigint      NOT NULL,
  ma_ho_so  text        NOT NULL,
  type      text        NOT NULL,
  revision  bigint      NOT NULL,
  at        timestamptz NOT NULL,
  detail    jsonb       NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (entry_ms, entry_seq)
);
-- Paging one dossier's history in entry order.
CREATE INDEX dossier_history_by_dossier ON dossier_history (ma_ho_so, entry_ms, entry_seq);
-- The reconcile_drift alert counts the last hour's drifts.
CREATE INDEX dossier_history_drifts ON dossier_history (at) WHERE type = 'drift';
