/**
 * API-key authentication, roles, per-client sources and rate limits (shared/API.md "Conventions"),
 * checked in that order before anything else of a request, its body included. Keys are known only
 * by their SHA-256 and compared in constant time; `ops` implies `ops-read`, which implies `kpi`.
 * Repeated unknown keys from one address are slowed down: past a few a minute that address gets 429
 * before its key is even looked at.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { ClientConfig, Role } from '../config.js';
import { problem, sendProblem } from './problem.js';

export interface AuthenticatedClient {
  name: string;
  roles: ReadonlySet<Role>;
  /** Sources a `lookup` client may query; null: all. */
  sources: ReadonlySet<string> | null;
}

declare module 'express-serve-static-core' {
  interface Request {
    client?: AuthenticatedClient;
    requestId?: string;
  }
}

interface KnownClient extends AuthenticatedClient {
  hash: Buffer;
  limiter: RateLimiterRedis | null;
}

export interface DirectoryOptions {
  /** Redis shared by every gateway process, where rate limits are counted; without it limits are per process. */
  redis?: Redis;
  /** Key prefix of the rate-limit counters. */
  keyPrefix?: string;
  /** Unknown keys one address may send per minute before it gets 429. Default 20. */
  failedKeysPerMinute?: number;
}

/** One-shot SHA-256 (no Hash object: this runs on every request). */
const sha256 = (key: string): Buffer => hash('sha256', key, 'buffer');

export class ClientDirectory {
  private readonly byHash = new Map<string, KnownClient>();
  private readonly failures: RateLimiterMemory;

  constructor(clients: readonly ClientConfig[], options: DirectoryOptions = {}) {
    for (const c of clients) {
      const roles = new Set<Role>(c.roles);
      if (roles.has('ops')) roles.add('ops-read');
      if (roles.has('ops-read')) roles.add('kpi');
      const limiter = c.rateLimit ? rateLimiter(c, options) : null;
      this.byHash.set(c.apiKeySha256, { name: c.name, roles, sources: c.sources ? new Set(c.sources) : null, hash: Buffer.from(c.apiKeySha256, 'hex'), limiter });
    }
    // Kept in each process: a guesser is slowed down wherever it lands, without a Redis call per request.
    this.failures = new RateLimiterMemory({ keyPrefix: 'auth-fail', points: options.failedKeysPerMinute ?? 20, duration: 60 });
  }

  find(apiKey: string): AuthenticatedClient | undefined {
    const given = sha256(apiKey);
    const known = this.byHash.get(given.toString('hex'));
    // The map found it by the hash; the comparison of the hashes themselves takes the same time whatever they hold.
    return known && timingSafeEqual(known.hash, given) ? known : undefined;
  }

  /** The client whose key hashes to `hash` (lower-case hex), as a session names it. */
  findByHash(hash: string): AuthenticatedClient | undefined {
    return this.byHash.get(hash);
  }

  /** The hash of a key as the directory knows it, for a session to name the client by. */
  static keyHash(apiKey: string): string {
    return sha256(apiKey).toString('hex');
  }

  /** Seconds an address must wait because of its failed keys; 0 when it may try. */
  async failedKeyWait(address: string): Promise<number> {
    const state = await this.failures.get(address);
    return state && state.remainingPoints <= 0 ? Math.max(1, Math.ceil(state.msBeforeNext / 1000)) : 0;
  }

  recordFailedKey(address: string): void {
    this.failures.penalty(address, 1).catch(() => undefined);
  }

  /** Whether `client` has a rate limit (each of its requests is counted). */
  limited(client: AuthenticatedClient): boolean {
    return (client as KnownClient).limiter !== null;
  }

  /** Counts one request of `client` against its rate limit: the seconds to wait when over it, else 0. */
  async overLimit(client: AuthenticatedClient): Promise<number> {
    const limiter = (client as KnownClient).limiter;
    if (!limiter) return 0;
    try {
      await limiter.consume(client.name);
      return 0;
    } catch (result) {
      if (result instanceof RateLimiterRes) return Math.max(1, Math.ceil(result.msBeforeNext / 1000));
      throw result;
    }
  }
}

function rateLimiter(c: ClientConfig, options: DirectoryOptions): RateLimiterRedis | null {
  const points = c.rateLimit!.perMinute;
  if (!options.redis) return null;
  return new RateLimiterRedis({
    storeClient: options.redis,
    keyPrefix: `${options.keyPrefix ?? 'gw'}:ratelimit`,
    points,
    duration: 60,
    // While Redis cannot count, each process keeps counting on its own rather than failing every request.
    insuranceLimiter: new RateLimiterMemory({ points, duration: 60 }),
  });
}

export function bearerKey(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

/** Answers before the body is read; a connection with an unread body is closed after the answer. */
function refuse(req: Request, res: Response, status: number, code: string, detail: string, headers: Record<string, string> = {}): void {
  if (hasBody(req)) res.setHeader('Connection', 'close');
  sendProblem(res, problem(status, code, detail), headers);
}

/** Requests whose key authenticateBeforeBody found, and the client it names. */
const authenticatedBeforeBody = new WeakMap<Request, AuthenticatedClient>();

/**
 * Before any body is read (app.ts runs it ahead of the body parser): a `/v1` request that carries a
 * body and an unknown or missing key is answered 401 (or 429 for an address that keeps guessing) at
 * once, its body never read, its connection closed after. A known key goes on to the route, which
 * checks roles, sources and rate limit as for any request.
 */
export function authenticateBeforeBody(directory: ClientDirectory) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!hasBody(req) || !req.path.startsWith('/v1/')) return next();
    const key = bearerKey(req);
    const client = key ? directory.find(key) : undefined;
    if (client) {
      // The route's access check uses it rather than hashing the key again.
      authenticatedBeforeBody.set(req, client);
      return next();
    }
    refuseUnknownKey(directory, req, res, key).then(() => undefined, next);
  };
}

async function refuseUnknownKey(directory: ClientDirectory, req: Request, res: Response, key: string | undefined): Promise<void> {
  const address = req.socket.remoteAddress ?? 'unknown';
  const wait = await directory.failedKeyWait(address);
  if (wait > 0) {
    refuse(req, res, 429, 'rate_limited', `Too many unknown API keys from this address; retry in ${wait} s`, { 'Retry-After': String(wait) });
    return;
  }
  if (key) directory.recordFailedKey(address);
  refuse(req, res, 401, 'unauthorized', key ? 'The API key is not known' : 'Send Authorization: Bearer <apiKey>', {
    'WWW-Authenticate': 'Bearer realm="dvc-gateway"',
  });
}

export interface AccessRule {
  /** At least one of these roles. */
  roles: readonly Role[];
  /** The sector source the route serves; the client must be allowed it. */
  source?: string;
}

/** The request's client: authenticated before its body was read, or now; undefined for a missing or unknown key. */
function clientOf(directory: ClientDirectory, req: Request): AuthenticatedClient | undefined {
  const known = authenticatedBeforeBody.get(req);
  if (known) return known;
  const key = bearerKey(req);
  return key ? directory.find(key) : undefined;
}

/** Why `client` may not use a route under `rule` (the 403's detail), or null when it may. */
function forbidden(client: AuthenticatedClient, rule: AccessRule): string | null {
  if (!rule.roles.some((r) => client.roles.has(r))) return `Client ${client.name} lacks the role ${rule.roles.join(' or ')}`;
  if (rule.source !== undefined && client.sources !== null && !client.sources.has(rule.source)) return `Client ${client.name} may not query the source ${rule.source}`;
  return null;
}

/** Authenticates, then checks role, source and rate limit, in that order; the first failure answers. */
export function checkAccess(directory: ClientDirectory, rule: AccessRule, req: Request, res: Response): Promise<AuthenticatedClient | null> {
  return admit(directory, rule, req, res, clientOf(directory, req));
}

/** checkAccess for a request whose client (or its absence) is already known. */
async function admit(directory: ClientDirectory, rule: AccessRule, req: Request, res: Response, client: AuthenticatedClient | undefined): Promise<AuthenticatedClient | null> {
  if (!client) {
    await refuseUnknownKey(directory, req, res, bearerKey(req));
    return null;
  }
  const reason = forbidden(client, rule);
  if (reason !== null) {
    refuse(req, res, 403, 'forbidden', reason);
    return null;
  }
  const wait = await directory.overLimit(client);
  if (wait > 0) {
    refuse(req, res, 429, 'rate_limited', `Client ${client.name} is over its rate limit; retry in ${wait} s`, { 'Retry-After': String(wait) });
    return null;
  }
  return client;
}

/**
 * Middleware: checkAccess, then the route. A client allowed and without a rate limit goes on at once,
 * without waiting for a promise; any refusal, and every rate-limited client, through the same checks.
 */
export function requireAccess(directory: ClientDirectory, rule: AccessRule) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const client = clientOf(directory, req);
    if (client && !directory.limited(client) && forbidden(client, rule) === null) {
      req.client = client;
      return next();
    }
    admit(directory, rule, req, res, client).then((admitted) => {
      if (!admitted) return;
      req.client = admitted;
      next();
    }, next);
  };
}

/** Middleware: a known key holding at least one of `roles`, within its rate limit. */
export function requireRole(directory: ClientDirectory, ...roles: Role[]) {
  return requireAccess(directory, { roles });
}
