/** One lookup as an auditor sees it: who asked what for which dossier, and how it went; never the data. */
export interface AuditEntry {
  at: string;
  client: string;
  officer: string;
  dossierCode: string;
  source: string;
  subject: string;
  outcome: 'found' | 'not_found' | 'rejected' | 'error';
  status: number;
  latencyMs: number;
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
  record(entry: AuditEntry): Promise<void>;
  /** Newest first; `nextCursor` null at the end. */
  query(query: AuditQuery): Promise<{ items: AuditEntry[]; nextCursor: string | null }>;
}
