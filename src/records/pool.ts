/** The PostgreSQL connection pool of the durable records. */
import pg from 'pg';
import type { Logger } from 'pino';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export interface PoolOptions {
  /** Connections at most (the drainer holds one while it writes a batch; the rest serve reads). */
  max?: number;
  applicationName?: string;
  /** The longest one statement may run; a runaway query must not hold a connection forever. */
  statementTimeoutMs?: number;
}

// bigint (int8) columns hold revisions and counts far below 2^53: read them as numbers, not strings.
pg.types.setTypeParser(20, (v: string) => Number(v));

export function createPool(url: string, logger: Logger, options: PoolOptions = {}): Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: options.applicationName ?? 'dvc-gateway',
    statement_timeout: options.statementTimeoutMs ?? 60_000,
  });
  // An idle connection dropped by a PostgreSQL restart is reported here; without a listener it would
  // crash the process. The pool opens a new connection on the next query.
  let warned = false;
  pool.on('error', (err) => {
    if (!warned) logger.warn({ err: err.message }, 'PostgreSQL connection lost');
    warned = true;
  });
  pool.on('connect', () => {
    if (warned) logger.info('PostgreSQL connection restored');
    warned = false;
  });
  return pool;
}

/** Runs `work` in one transaction on one connection: committed when it returns, rolled back when it throws. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    try {
      await client.query('ROLLBACK');
    } catch {
      broken = true;
    }
    throw e;
  } finally {
    // A connection whose ROLLBACK failed is in an unknown state: destroy it rather than return it.
    client.release(broken);
  }
}
