-- Keep the indicator facts in the order dossiers arrive (which is the order of NgayTiepNhan, the
-- column every period's figures scan by): a new revision then updates its row in place (a HOT update)
-- instead of moving it to the end of the table. That needs room in each page (fillfactor) and no
-- index on a column revisions change: the partial index on open statuses goes (the period's index
-- serves the warnings as well).
DROP INDEX IF EXISTS kpi_dossier_open;
ALTER TABLE kpi_dossier SET (fillfactor = 85);
