/** One lookup as an auditor sees it: who asked what for which dossier, and how it went; never the data. */
export interface AuditEntry {
  at: string;
  client: string;
  officer: string;
  dossierCode: string;
  source: string;
  subject: string;
  /**
   * `unknown`: the record was opened (the lookup was made) but the process ended before it recorded how
   * the lookup went; such a record is closed by another process, with status 0 and latencyMs 0.
   */
  outcome: 'found' | 'not_found' | 'rejected' | 'error' | 'unknown';
  status: number;
  latencyMs: number;
}

/** What is known of a lookup before it is made: who asks what, for which dossier. */
export type AuditOpening = Pick<AuditEntry, 'client' | 'officer' | 'dossierCode' | 'source' | 'subject'>;

/** How the lookup went, once it has. */
export type AuditClosing = Pick<AuditEntry, 'at' | 'outcome' | 'status' | 'latencyMs'>;

/**
 * A lookup's record written ahead: its opening is stored while the lookup runs, and its closing, sent
 * with the answer, turns it into one entry of the trail. A record never closed (its process died) is
 * closed by a later sweep with outcome `unknown`, so every lookup whose opening was stored has its entry.
 */
export interface OpenAuditRecord {
  /** Settles once the opening is stored; rejected when it could not be, and then no data may be answered. */
  readonly stored: Promise<void>;
  /** Completes the record; call it once, after `stored` settled. Sent at once; never throws. */
  close(closing: AuditClosing): void;
}

export interface AuditQuery {
  subject?: string;
  dossier?: string;
  officer?: string;
  /** ISO-8601 bounds, inclusive. */
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

export interface AuditLog {
  /** Writes a whole entry at once (a lookup refused before any upstream call); resolved once stored. */
  record(entry: AuditEntry): Promise<void>;
  /** Opens the record of a lookup about to be made (the opening is sent at once). */
  open(opening: AuditOpening): OpenAuditRecord;
  /** Newest first; `nextCursor` null at the end. */
  query(query: AuditQuery): Promise<{ items: AuditEntry[]; nextCursor: string | null }>;
}
