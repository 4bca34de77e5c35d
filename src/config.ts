/**
 * Environment → typed, validated configuration. The only module that reads process.env; every other
 * part of the gateway receives the slice it needs. `.env.example` lists every variable here.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DvcqgPortalOptions } from '../adapters/dvcqg/options.js';
import { SOURCES } from '../adapters/sources.js';
import { ConfigError, EnvReader, readResilience, type Env } from './config-env.js';
import type { AnySectorSource, SourceSettings } from './lookup/source.js';
import { readRedisHa, type RedisHaConfig } from './redis/ha-config.js';
import { DEFAULT_PORTAL_CIRCUIT, type ResilienceOptions } from './resilience/options.js';

export { ConfigError } from './config-env.js';

export type Role = 'sync' | 'lookup' | 'kpi' | 'ops' | 'ops-read';
export const ROLES: readonly Role[] = ['sync', 'lookup', 'kpi', 'ops', 'ops-read'];

export interface ClientConfig {
  name: string;
  /** SHA-256 of the API key, lower-case hex: given as `apiKeySha256`, or computed from `apiKey`. */
  apiKeySha256: string;
  roles: Role[];
  /** Sector sources a `lookup` client may query; absent: all. */
  sources?: string[];
  /** Its `/v1` requests per minute across all gateway processes; absent: no limit. */
  rateLimit?: { perMinute: number };
  /** The key was given in clear and is shorter than 16 characters (start-up warns). */
  weakKey: boolean;
}

/** The portal's endpoints and credentials (createDvcqgPortal's options), and its guard's settings. */
export interface DvcqgConfig extends Pick<DvcqgPortalOptions, 'authUrl' | 'apiUrl' | 'username' | 'password' | 'dstcode' | 'madonvi'> {
  resilience: ResilienceOptions;
}

export interface SyncConfig {
  /** Deliveries one worker process runs at once. */
  concurrency: number;
  /**
   * Deliveries a process that also runs the worker (role `all`) may start at once from the accept
   * itself, without a queued job (src/sync/direct.ts); 0 queues every delivery.
   */
  directConcurrency: number;
  /** Attempts before a retryable failure becomes a dead letter (default ≈ one day of trying). */
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** A dossier's delivery lease; renewed while its worker lives, so a dead worker's lease lapses after this. */
  leaseMs: number;
  /** How often a worker looks for accepted work whose queue entry went missing (a crash between writes). */
  reconcileIntervalMs: number;
  /** The longest a shutdown waits for deliveries in flight. */
  shutdownGraceMs: number;
  /** How long a delivered dossier's sync state is remembered, in days; 0 keeps it forever. */
  stateRetentionDays: number;
  /** Most progress items one dossier may hold not yet acknowledged by the portal. */
  maxPendingProgress: number;
}

export interface AlertConfig {
  evaluateIntervalMs: number;
  syncLagSeconds: number;
  deadLettersGrowth: number;
  deadLettersWindowSeconds: number;
  circuitOpenSeconds: number;
  backlogGrowthSeconds: number;
  /** How long `store_data_lost` fires (and readiness fails) after Redis was found without the gateway's data. */
  storeDataLostSeconds: number;
  webhookUrl: string | undefined;
  webhookTimeoutMs: number;
  /** reconcile_drift fires when more drifts than this were found in the last hour. */
  driftPerHour: number;
}

export interface RedisConfig extends RedisHaConfig {
  /** With Sentinels, only its user, password, database and scheme (rediss: TLS) are used. */
  url: string;
  /** The longest one command may take before the request needing it answers 503 `store_unavailable`. */
  commandTimeoutMs: number;
  /** How often the marker key that detects a Redis which lost its data is read (src/redis/marker.ts). */
  markerCheckIntervalMs: number;
}

export interface HttpConfig {
  /** A connection with no request for this long after its last answer is closed. */
  keepAliveTimeoutMs: number;
  /** Request headers must have arrived this long after the request began (then 408 and closed). */
  headersTimeoutMs: number;
  /** The whole request, body included, must have arrived within this (then 408 and closed). */
  requestTimeoutMs: number;
  /** Most client connections at once (lowered to fit the open-file limit). */
  maxConnections: number;
}

/** Thresholds and retention of the indicators (shared/KPI.md). */
export interface KpiConfig {
  /** A unit-level warning needs at least this many dossiers in its denominator. */
  warnMinDossiers: number;
  warnFullyOnlineRate: number;
  warnOnTimeRate: number;
  dueSoonHours: number;
  /** Dossiers received longer ago than this are deleted from the indicator tables. */
  retentionMonths: number;
}

/** Dossier history and reconciliation with the portal (docs/history.md). */
export interface HistoryConfig {
  /** Days history events are kept (HISTORY_RETENTION_DAYS). */
  retentionDays: number;
  /** Days the full dossier copies a repair resends are kept (personal data: kept apart, shorter). */
  copyRetentionDays: number;
  /** Delivered dossiers checked against the portal a minute; 0 turns continuous checking off. */
  reconcilePerMinute: number;
}

export interface Config {
  role: 'all' | 'api' | 'worker';
  port: number;
  host: string;
  http: HttpConfig;
  redis: RedisConfig;
  queuePrefix: string;
  logLevel: string;
  clients: ClientConfig[];
  xroadClient: string;
  dvcqg: DvcqgConfig;
  /** Each sector source's settings by its name, read by its descriptor (adapters/sources.ts). */
  sources: Record<string, SourceSettings>;
  sync: SyncConfig;
  audit: { retentionDays: number; maxEntries: number; sweepIntervalMs: number; ownerTtlMs: number };
  alerts: AlertConfig;
  /**
   * PostgreSQL of the durable records (indicators, history); when set, sync state changes are also
   * written to the outbox. Undefined: those endpoints answer 503.
   */
  databaseUrl: string | undefined;
  kpi: KpiConfig;
  history: HistoryConfig;
}

function databaseUrl(env: EnvReader): string | undefined {
  const value = env.optionalString('DATABASE_URL');
  if (value === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError('DATABASE_URL', 'must be a URL like postgres://user@host:5432/database');
  }
  if (!['postgres:', 'postgresql:'].includes(parsed.protocol)) {
    throw new ConfigError('DATABASE_URL', `must start with postgres:// or postgresql://, got ${parsed.protocol}//`);
  }
  if (!parsed.hostname && !parsed.searchParams.get('host')) throw new ConfigError('DATABASE_URL', 'names no host');
  return value;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** SHA-256 of an API key as the clients file's `apiKeySha256` holds it: lower-case hex. */
export function apiKeyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function fail(problem: string): never {
  throw new ConfigError('GATEWAY_CLIENTS_FILE', problem);
}

function readClient(entry: unknown, where: string, knownSources: readonly string[]): ClientConfig {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail(`${where} is not an object`);
  const { name, apiKey, apiKeySha256, roles, sources, rateLimit } = entry as Record<string, unknown>;
  if (typeof name !== 'string' || name.trim() === '') fail(`${where} needs a non-empty "name"`);
  const who = `${where} (${name})`;
  if ((apiKey === undefined) === (apiKeySha256 === undefined)) fail(`${who} needs exactly one of "apiKey" and "apiKeySha256"`);
  let hash: string;
  let weakKey = false;
  if (apiKey !== undefined) {
    if (typeof apiKey !== 'string' || apiKey.trim() === '' || /\s/.test(apiKey)) fail(`${who} needs a non-empty "apiKey" without spaces`);
    hash = apiKeyHash(apiKey);
    weakKey = apiKey.length < 16;
  } else {
    if (typeof apiKeySha256 !== 'string' || !SHA256_HEX.test(apiKeySha256)) {
      fail(`${who} "apiKeySha256" must be the 64 lower-case hex digits of the key's SHA-256 (npm run ops -- clients hash-key)`);
    }
    hash = apiKeySha256;
  }
  if (!Array.isArray(roles) || roles.some((r) => !ROLES.includes(r as Role))) fail(`${who} "roles" must be a list of ${ROLES.join(', ')}`);
  const client: ClientConfig = { name, apiKeySha256: hash, roles: [...new Set(roles as Role[])], weakKey };
  if (sources !== undefined) {
    if (!Array.isArray(sources) || sources.some((s) => typeof s !== 'string' || !knownSources.includes(s))) {
      fail(`${who} "sources" must be a list of ${knownSources.join(', ')}`);
    }
    client.sources = [...new Set(sources as string[])];
  }
  if (rateLimit !== undefined) {
    const perMinute = (rateLimit as { perMinute?: unknown } | null)?.perMinute;
    if (typeof rateLimit !== 'object' || rateLimit === null || Object.keys(rateLimit).some((k) => k !== 'perMinute')
      || typeof perMinute !== 'number' || !Number.isInteger(perMinute) || perMinute < 1 || perMinute > 1_000_000) {
      fail(`${who} "rateLimit" must be {"perMinute": n}, n a whole number from 1 to 1000000`);
    }
    client.rateLimit = { perMinute };
  }
  return client;
}

export function loadClients(path: string | undefined, knownSources: readonly string[] = SOURCES.map((s) => s.name)): ClientConfig[] {
  if (!path) return [];
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    fail(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    fail(`${path} is not JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(parsed)) fail(`${path} must hold a JSON array of clients`);
  const seen = new Set<string>();
  return parsed.map((entry: unknown, i) => {
    const client = readClient(entry, `${path} entry ${i}`, knownSources);
    if (seen.has(client.apiKeySha256)) fail(`${path} entry ${i} (${client.name}) reuses another client's apiKey`);
    seen.add(client.apiKeySha256);
    return client;
  });
}

function httpConfig(env: EnvReader): HttpConfig {
  const headersTimeoutMs = env.int('HTTP_HEADERS_TIMEOUT_MS', 10_000, { min: 100, max: 600_000 });
  return {
    keepAliveTimeoutMs: env.int('HTTP_KEEP_ALIVE_TIMEOUT_MS', 15_000, { min: 100, max: 600_000 }),
    headersTimeoutMs,
    requestTimeoutMs: env.int('HTTP_REQUEST_TIMEOUT_MS', 60_000, { min: headersTimeoutMs, max: 3_600_000 }),
    maxConnections: env.int('HTTP_MAX_CONNECTIONS', 10_000, { min: 16, max: 1_000_000 }),
  };
}

export function loadConfig(source: Env = process.env, sources: readonly AnySectorSource[] = SOURCES): Config {
  const env = new EnvReader(source);
  const xroadClient = env.string('XROAD_CLIENT', 'VN/GOV/000.00.00.H26/DVC-GATEWAY');
  const queuePrefix = env.string('QUEUE_PREFIX', 'gw');
  // A `{tag}` part makes every key share one Redis Cluster slot, as the Lua commands need there.
  if (queuePrefix.length > 64 || !/^[A-Za-z0-9_.-]*(\{[A-Za-z0-9_.-]+\})?[A-Za-z0-9_.-]*$/.test(queuePrefix) || queuePrefix === '') {
    throw new ConfigError(
      'QUEUE_PREFIX',
      `must be 1-64 letters, digits, ".", "-" or "_", with at most one {hash tag} (e.g. {gw}), got "${queuePrefix}"`,
    );
  }
  const backoffBaseMs = env.int('SYNC_BACKOFF_BASE_MS', 1_000, { min: 1 });
  return {
    role: env.oneOf('GATEWAY_ROLE', ['all', 'api', 'worker'] as const, 'all'),
    port: env.int('PORT', 8080, { min: 0, max: 65535 }),
    host: env.string('HOST', '0.0.0.0'),
    http: httpConfig(env),
    redis: {
      url: env.url('REDIS_URL', 'redis://127.0.0.1:6379'),
      commandTimeoutMs: env.int('REDIS_COMMAND_TIMEOUT_MS', 2_000, { min: 50, max: 60_000 }),
      markerCheckIntervalMs: env.int('REDIS_MARKER_CHECK_INTERVAL_MS', 5_000, { min: 100, max: 3_600_000 }),
      ...readRedisHa(env),
    },
    queuePrefix,
    logLevel: env.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    clients: loadClients(env.optionalString('GATEWAY_CLIENTS_FILE'), sources.map((s) => s.name)),
    xroadClient,
    dvcqg: {
      authUrl: env.url('DVCQG_AUTH_URL', 'http://127.0.0.1:7001/dvcqg/login'),
      apiUrl: env.url('DVCQG_API_URL', 'http://127.0.0.1:7001/dvcqg/api'),
      username: env.string('DVCQG_USERNAME', 'dvc-gateway'),
      password: env.string('DVCQG_PASSWORD', 'dvc-gateway-secret'),
      dstcode: env.string('DVCQG_DSTCODE', 'H26'),
      madonvi: env.string('DVCQG_MADONVI', '000.00.00.H26'),
      resilience: readResilience(env, 'DVCQG', { timeoutMs: 10_000, maxConcurrent: 64, maxWaiting: 10_000, circuit: DEFAULT_PORTAL_CIRCUIT }),
    },
    sources: Object.fromEntries(sources.map((s) => [s.name, s.configure(env, { xroadClient })])),
    sync: {
      concurrency: env.int('SYNC_CONCURRENCY', 64, { min: 1, max: 1_000 }),
      directConcurrency: env.int('SYNC_DIRECT_CONCURRENCY', 128, { min: 0, max: 1_000 }),
      maxAttempts: env.int('SYNC_MAX_ATTEMPTS', 130, { min: 1 }),
      backoffBaseMs,
      backoffMaxMs: env.int('SYNC_BACKOFF_MAX_MS', 15 * 60_000, { min: backoffBaseMs }),
      leaseMs: env.int('SYNC_LEASE_MS', 20_000, { min: 1_000 }),
      reconcileIntervalMs: env.int('SYNC_RECONCILE_INTERVAL_MS', 10_000, { min: 100 }),
      shutdownGraceMs: env.int('SHUTDOWN_GRACE_MS', 15_000, { min: 0 }),
      stateRetentionDays: env.int('SYNC_STATE_RETENTION_DAYS', 180, { min: 0 }),
      maxPendingProgress: env.int('SYNC_MAX_PENDING_PROGRESS', 1_000, { min: 1, max: 1_000_000 }),
    },
    audit: {
      retentionDays: env.int('AUDIT_RETENTION_DAYS', 90, { min: 1 }),
      maxEntries: env.int('AUDIT_MAX_ENTRIES', 5_000_000, { min: 1_000 }),
      sweepIntervalMs: env.int('AUDIT_SWEEP_INTERVAL_MS', 30_000, { min: 100 }),
      ownerTtlMs: env.int('AUDIT_OWNER_TTL_MS', 30_000, { min: 1_000 }),
    },
    alerts: {
      evaluateIntervalMs: env.int('ALERT_EVALUATE_INTERVAL_MS', 15_000, { min: 100 }),
      syncLagSeconds: env.int('ALERT_SYNC_LAG_SECONDS', 900, { min: 1 }),
      deadLettersGrowth: env.int('ALERT_DEAD_LETTERS_GROWTH', 1, { min: 1 }),
      deadLettersWindowSeconds: env.int('ALERT_DEAD_LETTERS_WINDOW_SECONDS', 900, { min: 1 }),
      circuitOpenSeconds: env.int('ALERT_CIRCUIT_OPEN_SECONDS', 120, { min: 1 }),
      backlogGrowthSeconds: env.int('ALERT_BACKLOG_GROWTH_SECONDS', 600, { min: 1 }),
      storeDataLostSeconds: env.int('ALERT_STORE_DATA_LOST_SECONDS', 600, { min: 1 }),
      webhookUrl: env.raw('ALERT_WEBHOOK_URL') === undefined ? undefined : env.url('ALERT_WEBHOOK_URL', ''),
      webhookTimeoutMs: env.int('ALERT_WEBHOOK_TIMEOUT_MS', 5_000, { min: 100 }),
      driftPerHour: env.int('ALERT_DRIFT_PER_HOUR', 10, { min: 0 }),
    },
    databaseUrl: databaseUrl(env),
    kpi: {
      warnMinDossiers: env.int('KPI_WARN_MIN_DOSSIERS', 10, { min: 1 }),
      warnFullyOnlineRate: env.number('KPI_WARN_FULLY_ONLINE_RATE', 0.9, { min: 0, max: 1 }),
      warnOnTimeRate: env.number('KPI_WARN_ON_TIME_RATE', 0.95, { min: 0, max: 1 }),
      dueSoonHours: env.number('KPI_DUE_SOON_HOURS', 24, { min: 0, max: 24 * 365 }),
      retentionMonths: env.int('KPI_RETENTION_MONTHS', 60, { min: 1, max: 1200 }),
    },
    history: {
      retentionDays: env.int('HISTORY_RETENTION_DAYS', 1825, { min: 1, max: 36_500 }),
      copyRetentionDays: env.int('DOSSIER_COPY_RETENTION_DAYS', 365, { min: 1, max: 36_500 }),
      reconcilePerMinute: env.int('RECONCILE_PER_MINUTE', 60, { min: 0, max: 60_000 }),
    },
  };
}
