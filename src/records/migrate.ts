/**
 * Versioned SQL migrations: `migrations/NNN-name.sql`, applied in order of NNN, each once, recorded in
 * `schema_migrations`. All pending files run in one transaction under an advisory lock, so gateway
 * processes starting together apply them once, and a failing file leaves the schema as it was.
 * Numbering: 001-019 indicators, 020-039 dossier history; a new area takes the next free block.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inTransaction, type Pool } from './pool.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
const FILE = /^(\d{3})-([a-z0-9][a-z0-9-]*)\.sql$/;
/** Any fixed 64-bit number; it only has to be the same in every gateway process. */
const LOCK_KEY = 4_445_766_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const m = FILE.exec(file);
    if (!m) throw new Error(`migration file ${file} is not named NNN-name.sql (lower-case name)`);
    const version = Number(m[1]);
    const clash = out.find((x) => x.version === version);
    if (clash) throw new Error(`migrations ${clash.name} and ${m[2]} share the number ${m[1]}`);
    out.push({ version, name: m[2]!, sql: readFileSync(`${dir}/${file}`, 'utf8') });
  }
  return out.sort((a, b) => a.version - b.version);
}

/** Applies the pending migrations; returns the names of those it applied (empty when up to date). */
export async function migrate(pool: Pool, migrations: Migration[] = readMigrations()): Promise<string[]> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version integer PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    const done: string[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      try {
        await client.query(m.sql);
      } catch (e) {
        throw new Error(`migration ${String(m.version).padStart(3, '0')}-${m.name} failed: ${(e as Error).message}`, { cause: e });
      }
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      done.push(`${String(m.version).padStart(3, '0')}-${m.name}`);
    }
    return done;
  });
}
