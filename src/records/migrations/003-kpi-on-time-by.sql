-- The on-time rules (shared/KPI.md "On time", src/kpi/rules.ts) depend on asOf only through one
-- comparison: a dossier is on time exactly when asOf <= on_time_by. on_time_by is 'infinity' for a
-- dossier on time whatever asOf (withdrawn, or handled within its due date after the pause), NULL
-- for one never on time (two or more supplement requests, handled late, no valid NgayHenTra, a
-- status the rules do not know), and otherwise the instant after which it is late (NgayHenTra, moved
-- by the pause when the end of handling is asOf itself). Stored and kept by PostgreSQL from the row's
-- own columns, so every writer (projection, progress summary, COPY) keeps it right, and a period's
-- figures compare one column instead of evaluating the rules on every dossier.

-- t + i as a pure number of seconds: independent of the session's time zone, hence immutable (a
-- generated column may only use immutable functions; timestamptz + interval is not marked so).
CREATE FUNCTION kpi_plus_seconds(t timestamptz, i interval) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN t + make_interval(secs => extract(epoch FROM i)::float8);

ALTER TABLE kpi_dossier ADD COLUMN on_time_by timestamptz GENERATED ALWAYS AS (
  CASE
    WHEN status = 7 THEN 'infinity'::timestamptz
    WHEN supplement_requests >= 2 THEN NULL
    WHEN status IN (8, 9, 10) THEN
      CASE
        -- The end of handling is known: end − pause ≤ NgayHenTra does not depend on asOf
        -- (compared as end − NgayHenTra ≤ pause, two differences of instants).
        WHEN COALESCE(finished_at, returned_at, last_progress_at) IS NOT NULL THEN
          CASE WHEN COALESCE(finished_at, returned_at, last_progress_at) - due_at
                    <= CASE WHEN supplement_requests = 1
                            THEN COALESCE(resumed_at, finished_at, returned_at, last_progress_at) - supplement_at
                            ELSE interval '0' END
               THEN 'infinity'::timestamptz END
        -- The end is asOf. One request, never resumed: asOf − (asOf − request) = the request's time.
        WHEN supplement_requests = 1 AND resumed_at IS NULL THEN
          CASE WHEN supplement_at <= due_at THEN 'infinity'::timestamptz END
        -- One request, resumed: asOf − (resumed − request) ≤ NgayHenTra.
        WHEN supplement_requests = 1 THEN kpi_plus_seconds(due_at, resumed_at - supplement_at)
        ELSE due_at
      END
    WHEN status = 5 THEN
      CASE WHEN supplement_requests = 1
           THEN CASE WHEN supplement_at <= due_at THEN 'infinity'::timestamptz END
           ELSE due_at END
    WHEN status IN (2, 4, 6) THEN due_at
  END
) STORED;
