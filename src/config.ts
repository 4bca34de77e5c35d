/**
 * Environment → typed, validated configuration. The only module that reads process.env; every other
 * part of the gateway receives the slice it needs. `.env.example` lists every variable here.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, EnvReader, type Env } from './config-env.js';
import { readRedisHa, type RedisHaConfig } from './redis/ha-config.js';
import { DEFAULT_CIRCUIT, DEFAULT_PORTAL_CIRCUIT, type ResilienceOptions } from './resilience/options.js';

export { ConfigError } from './config-env.js';

export type Role = 'sync' | 'lookup' | 'kpi' | 'ops' | 'ops-read';
export const ROLES: readonly Role[] = ['sync', 'lookup', 'kpi', 'ops', 'ops-read'];

export interface ClientConfig {
  name: string;
  apiKey: string;
  roles: Role[];
}

export interface DvcqgConfig {
  authUrl: string;
  apiUrl: string;
  username: string;
  password: string;
  dstcode: string;
  madonvi: string;
  resilience: ResilienceOptions;
}

export interface DancuConfig {
  url: string;
  wsdlPath: string;
  username: string;
  secret: string;
  apiKey: string;
  maDvc: string;
  maTichHop: string;
  maDonVi: string;
  taiKhoan: string;
  xroadClient: string;
  resilience: ResilienceOptions;
  /** Seconds a citizen record may be cached; 0 (default) caches nothing: it is personal data. */
  cacheTtlSeconds: number;
}

export interface DkdnConfig {
  url: string;
  clientId: string;
  clientSecret: string;
  xroadClient: string;
  resilience: ResilienceOptions;
  /** Seconds a business record is cached in Redis; 0 disables. */
  cacheTtlSeconds: number;
}

export interface SyncConfig {
  /** Deliveries one worker process runs at once. */
  concurrency: number;
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
  dancu: DancuConfig;
  dkdn: DkdnConfig;
  sync: SyncConfig;
  audit: { retentionDays: number; maxEntries: number };
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

const DEFAULT_WSDL = fileURLToPath(new URL('../adapters/dancu-soap/fixtures/dancu.wsdl', import.meta.url));

function resilience(
  env: EnvReader,
  prefix: string,
  timeoutMs: number,
  maxConcurrent: number,
  circuit: Omit<ResilienceOptions, 'timeoutMs' | 'maxConcurrent'> = DEFAULT_CIRCUIT,
): ResilienceOptions {
  return {
    timeoutMs: env.int(`${prefix}_TIMEOUT_MS`, timeoutMs, { min: 1, max: 600_000 }),
    errorThresholdPercent: env.number(`${prefix}_CIRCUIT_ERROR_PERCENT`, circuit.errorThresholdPercent, { min: 1, max: 100 }),
    volumeThreshold: env.int(`${prefix}_CIRCUIT_MIN_CALLS`, circuit.volumeThreshold, { min: 1 }),
    windowMs: env.int(`${prefix}_CIRCUIT_WINDOW_MS`, circuit.windowMs, { min: 100 }),
    openMs: env.int(`${prefix}_CIRCUIT_OPEN_MS`, circuit.openMs, { min: 100 }),
    halfOpenTrials: env.int(`${prefix}_CIRCUIT_TRIAL_CALLS`, circuit.halfOpenTrials, { min: 1, max: 1_000 }),
    maxConcurrent: env.int(`${prefix}_MAX_CONCURRENT`, maxConcurrent, { min: 1, max: 10_000 }),
  };
}

export function loadClients(path: string | undefined): ClientConfig[] {
  if (!path) return [];
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError('GATEWAY_CLIENTS_FILE', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError('GATEWAY_CLIENTS_FILE', `${path} is not JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new ConfigError('GATEWAY_CLIENTS_FILE', `${path} must hold a JSON array of clients`);
  const seenKeys = new Set<string>();
  return parsed.map((entry: unknown, i) => {
    const where = `${path} entry ${i}`;
    if (typeof entry !== 'object' || entry === null) throw new ConfigError('GATEWAY_CLIENTS_FILE', `${where} is not an object`);
    const { name, apiKey, roles } = entry as Record<string, unknown>;
    if (typeof name !== 'string' || name.trim() === '') throw new ConfigError('GATEWAY_CLIENTS_FILE', `${where} needs a non-empty "name"`);
    if (typeof apiKey !== 'string' || apiKey.trim() === '' || /\s/.test(apiKey)) {
      throw new ConfigError('GATEWAY_CLIENTS_FILE', `${where} (${name}) needs a non-empty "apiKey" without spaces`);
    }
    if (seenKeys.has(apiKey)) throw new ConfigError('GATEWAY_CLIENTS_FILE', `${where} (${name}) reuses another client's apiKey`);
    seenKeys.add(apiKey);
    if (!Array.isArray(roles) || roles.some((r) => !ROLES.includes(r as Role))) {
      throw new ConfigError('GATEWAY_CLIENTS_FILE', `${where} (${name}) "roles" must be a list of ${ROLES.join(', ')}`);
    }
    return { name, apiKey, roles: [...new Set(roles as Role[])] };
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

export function loadConfig(source: Env = process.env): Config {
  const env = new EnvReader(source);
  const xroadClient = env.string('XROAD_CLIENT', 'VN/GOV/000.00.00.H26/DVC-GATEWAY');
  const dancuUsername = env.string('DANCU_USERNAME', 'dvc-gateway');
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
    clients: loadClients(env.optionalString('GATEWAY_CLIENTS_FILE')),
    xroadClient,
    dvcqg: {
      authUrl: env.url('DVCQG_AUTH_URL', 'http://127.0.0.1:7001/dvcqg/login'),
      apiUrl: env.url('DVCQG_API_URL', 'http://127.0.0.1:7001/dvcqg/api'),
      username: env.string('DVCQG_USERNAME', 'dvc-gateway'),
      password: env.string('DVCQG_PASSWORD', 'dvc-gateway-secret'),
      dstcode: env.string('DVCQG_DSTCODE', 'H26'),
      madonvi: env.string('DVCQG_MADONVI', '000.00.00.H26'),
      resilience: resilience(env, 'DVCQG', 10_000, 64, DEFAULT_PORTAL_CIRCUIT),
    },
    dancu: {
      url: env.url('DANCU_URL', 'http://127.0.0.1:7002/dancu/TraCuuThongTinCongDan'),
      wsdlPath: env.string('DANCU_WSDL', DEFAULT_WSDL),
      username: dancuUsername,
      secret: env.string('DANCU_SECRET', 'dancu-secret'),
      apiKey: env.string('DANCU_API_KEY', 'dancu-api-key'),
      maDvc: env.string('DANCU_MA_DVC', 'DVC-H26'),
      maTichHop: env.string('DANCU_MA_TICH_HOP', 'DVC-GATEWAY'),
      maDonVi: env.string('DANCU_MA_DON_VI', '000.00.00.H26'),
      taiKhoan: env.string('DANCU_TAI_KHOAN', dancuUsername),
      xroadClient,
      resilience: resilience(env, 'DANCU', 5_000, 32),
      cacheTtlSeconds: env.int('DANCU_CACHE_TTL_SECONDS', 0, { min: 0, max: 600 }),
    },
    dkdn: {
      url: env.url('DKDN_URL', 'http://127.0.0.1:7003'),
      clientId: env.string('DKDN_CLIENT_ID', 'dvc-gateway'),
      clientSecret: env.string('DKDN_CLIENT_SECRET', 'dkdn-secret'),
      xroadClient,
      resilience: resilience(env, 'DKDN', 5_000, 64),
      cacheTtlSeconds: env.int('DKDN_CACHE_TTL_SECONDS', 3_600, { min: 0 }),
    },
    sync: {
      concurrency: env.int('SYNC_CONCURRENCY', 64, { min: 1, max: 1_000 }),
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
