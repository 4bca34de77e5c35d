/**
 * PostgreSQL for the demo: DATABASE_URL when set; else a server on 127.0.0.1:5432 if one answers (the
 * demo then works in a database of its own, dropped when it stops); else a private server started from
 * the installed binaries in a temp directory; else undefined, with one line saying how to get one.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { postgresBinDir, startPrivatePostgres } from './private-postgres.js';

export interface DemoPostgres {
  url: string;
  source: string;
  stop(): Promise<void>;
}

const LOCAL = 'postgres://postgres@127.0.0.1:5432/postgres';

async function answers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_500 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function ownDatabase(adminUrl: string, source: string): Promise<DemoPostgres> {
  const name = `dvc_demo_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), source: `${source}, database ${name}`, stop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

export async function ensurePostgres(databaseUrl: string | undefined): Promise<DemoPostgres | undefined> {
  if (databaseUrl) return { url: databaseUrl, source: 'DATABASE_URL', stop: async () => undefined };
  if (await answers(LOCAL)) return ownDatabase(LOCAL, 'the server on 127.0.0.1:5432');
  if (postgresBinDir()) {
    try {
      const server = await startPrivatePostgres();
      return { url: server.url, source: `a private server on port ${server.port} (${server.dir})`, stop: async () => server.destroy() };
    } catch (e) {
      console.error(`could not start a private PostgreSQL: ${(e as Error).message}`);
    }
  }
  console.log('indicators need PostgreSQL: set DATABASE_URL, run one on 127.0.0.1:5432, or install it (apt-get install postgresql); the demo goes on without them');
  return undefined;
}
