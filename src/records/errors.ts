/**
 * PostgreSQL being unset, down or not yet migrated: the endpoints that read the durable records answer
 * 503 `store_unavailable`, while dossier sync goes on (records wait in the outbox).
 */
export class RecordsUnavailable extends Error {
  readonly code = 'store_unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RecordsUnavailable';
  }
}

/** Errors that mean "the database cannot be reached now", as opposed to a bug in a query. */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  const code = e?.code ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN'].includes(code) ||
    // Class 08 (connection exception), 57P (operator intervention: shutdown, restart), 53300 (too many connections).
    /^08/.test(code) ||
    /^57P/.test(code) ||
    code === '53300' ||
    /Reached the max retries per request limit|Connection is closed|Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection is closed|Query read timeout/i.test(
      e?.message ?? '',
    )
  );
}
