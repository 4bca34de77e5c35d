/**
 * A stand-in for a registry behind NGSP: a real HTTP server speaking the protocol of
 * shared/UPSTREAMS.md §3 (OAuth2 client credentials, one GET lookup by a query parameter), with fault
 * injection and a record of what it received. Each registry's simulator (adapters/dkdn-rest,
 * adapters/hotich-rest) is this server given its paths and records. Built on node:http, not express:
 * benchmarks drive thousands of lookups through it, and hung or reset connections need the raw socket.
 *
 * Control endpoints: the shared control plane (../sim-control.ts), plus `POST /_sim/revoke-tokens`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleControl, isControlPath } from '../sim-control.js';
import { FaultDraw, NO_FAULTS, applyFaultUpdate, checkFaultUpdate, type NgspFaultUpdate, type NgspFaults, type FaultKind } from './simulator-faults.js';

export type { NgspFaultUpdate, NgspFaults, FaultKind } from './simulator-faults.js';

/** What makes one registry's simulator: its paths, credentials and records. */
export interface NgspRegistryDefinition {
  /** Path of the lookup, e.g. `/apiCSDLDKDN/1.0/chiTietDoanhNghiep`. */
  lookupPath: string;
  /** Its query parameter, e.g. `msdn`. */
  queryParam: string;
  /** The answer body for a value it holds, as serialized JSON; undefined when it holds none. */
  find(value: string): string | undefined;
  /** The answer body when it holds nothing, e.g. `{"GetEntCert":[]}`. */
  emptyAnswer: string;
  /** Answers 200 that break the protocol, drawn for `malformedRate`: [content type, body]. */
  malformedAnswers: ReadonlyArray<readonly [string, string]>;
  /** An error body that names a person, drawn for `personalErrorRate`. */
  personalError: unknown;
  /** Default port. */
  defaultPort: number;
  /** Default client id and secret the token endpoint accepts. */
  clientId: string;
  clientSecret: string;
}

export interface NgspSimulatorOptions {
  /** Port to listen on; 0 picks a free one. Default: the registry's own. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** The client id the token endpoint accepts. Default: the gateway's default for this registry. */
  clientId?: string;
  /** The client secret the token endpoint accepts. Default: the gateway's default for this registry. */
  clientSecret?: string;
  /** Faults in force from the start, and again after `resetFaults()` / `reset()`. Default none. */
  faults?: Partial<NgspFaults>;
  /** Seed of the fault draw, so a run with fault rates repeats exactly. Default 1. */
  seed?: number;
  /** How many requests `requests()` keeps, the oldest dropped first. Default 100000. */
  maxRecordedRequests?: number;
}

/** One protocol request as the simulator received it. */
export interface NgspSimRequest {
  /** Epoch ms of arrival. */
  at: number;
  method: string;
  path: string;
  /** The lookup's query parameter, or null when absent. */
  subject: string | null;
  /** What `Authorization` carried. */
  auth: 'basic' | 'bearer' | 'none' | 'other';
  /** The `X-Road-Client` header, or null. */
  xroadClient: string | null;
  /** The status answered; null while pending, or when no answer was given (hang, reset, down). */
  status: number | null;
  /** The fault injected, `down` included; null for none. */
  fault: FaultKind | 'down' | null;
}

export interface NgspSimulator {
  /** Base URL, to use as the registry's `_URL`. */
  url: string;
  port: number;
  /** Changes some faults (the others stay); returns the faults now in force. Throws TypeError when invalid. */
  setFaults(update: NgspFaultUpdate): NgspFaults;
  /** Back to the faults given at start (none by default). */
  resetFaults(): NgspFaults;
  /** Every token issued so far stops working: the next lookup with one gets 401 invalid_token. */
  revokeTokens(): void;
  /** The protocol requests received, oldest first (a copy). */
  requests(): NgspSimRequest[];
  /** How many `POST /token` requests were received, failed ones included. */
  tokenRequests(): number;
  /** Forgets requests and tokens, and restores the faults given at start. */
  reset(): void;
  /** Stops listening and destroys every connection, hung ones included. */
  close(): Promise<void>;
}

const TOKEN_PATH = '/token';
/** Life of a token issued without `expires_in`: what the protocol tells clients to assume. */
const UNSTATED_LIFETIME_S = 300;
const MAX_BODY_BYTES = 64 * 1024;

export async function startNgspSimulator(registry: NgspRegistryDefinition, options: NgspSimulatorOptions = {}): Promise<NgspSimulator> {
  const LOOKUP_PATH = registry.lookupPath;
  const clientId = options.clientId ?? registry.clientId;
  const clientSecret = options.clientSecret ?? registry.clientSecret;
  const maxRecorded = options.maxRecordedRequests ?? 100_000;
  const startFaults = applyFaultUpdate(NO_FAULTS, checkFaultUpdate(options.faults ?? {}));
  const seed = options.seed ?? 1;
  const draw = new FaultDraw(seed);
  const tokens = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  let faults = startFaults;
  let log: NgspSimRequest[] = [];
  let tokenCount = 0;
  let closed = false;

  function setFaults(update: NgspFaultUpdate): NgspFaults {
    const checked = checkFaultUpdate(update);
    faults = applyFaultUpdate(faults, checked);
    if (checked.expireTokensNow) tokens.clear();
    if (checked.seed !== undefined) draw.reseed(checked.seed);
    return { ...faults };
  }

  function reset(): void {
    log = [];
    tokenCount = 0;
    tokens.clear();
    faults = startFaults;
    draw.reseed(seed);
  }

  function record(entry: NgspSimRequest): void {
    log.push(entry);
    // Trimmed in batches so a long benchmark does not shift the array on every request.
    if (log.length > maxRecorded + 1_000) log = log.slice(log.length - maxRecorded);
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  }

  function issueToken(): { access_token: string; token_type: string; expires_in?: number } {
    const access_token = randomBytes(24).toString('base64url');
    const lifetime = faults.tokenExpiresIn ?? UNSTATED_LIFETIME_S;
    const now = Date.now();
    if (tokens.size > 10_000) for (const [t, until] of tokens) if (until <= now) tokens.delete(t);
    tokens.set(access_token, now + lifetime * 1000);
    return faults.tokenExpiresIn === null ? { access_token, token_type: 'Bearer' } : { access_token, token_type: 'Bearer', expires_in: faults.tokenExpiresIn };
  }

  async function token(req: IncomingMessage, res: ServerResponse, entry: NgspSimRequest): Promise<void> {
    const body = await readBody(req);
    if (body === null) return answer(res, entry, 413, { error: 'invalid_request', error_description: 'body too large' });
    const credentials = basicCredentials(req.headers.authorization);
    if (!credentials || credentials.id !== clientId || credentials.secret !== clientSecret) {
      return answer(res, entry, 401, { error: 'invalid_client', error_description: 'client authentication failed' }, { 'WWW-Authenticate': 'Basic realm="ngsp"' });
    }
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return answer(res, entry, 400, { error: 'invalid_request', error_description: 'the body must be application/x-www-form-urlencoded' });
    }
    const grant = new URLSearchParams(body).get('grant_type');
    if (grant === null) return answer(res, entry, 400, { error: 'invalid_request', error_description: 'grant_type is required' });
    if (grant !== 'client_credentials') return answer(res, entry, 400, { error: 'unsupported_grant_type', error_description: `grant_type ${grant} is not supported` });
    answer(res, entry, 200, issueToken(), { 'Cache-Control': 'no-store' });
  }

  function lookup(req: IncomingMessage, res: ServerResponse, entry: NgspSimRequest): void {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    const until = bearer === undefined ? undefined : tokens.get(bearer);
    if (until === undefined || until <= Date.now()) {
      const description = bearer === undefined ? 'a bearer token is required' : until === undefined ? 'the token is unknown or revoked' : 'the token has expired';
      return answer(res, entry, 401, { error: 'invalid_token', error_description: description }, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    }
    const value = entry.subject;
    if (value === null || value === '') return answer(res, entry, 400, { error: 'invalid_request', error_description: `${registry.queryParam} is required` });
    answer(res, entry, 200, registry.find(value) ?? registry.emptyAnswer);
  }

  function injectFault(fault: FaultKind, res: ServerResponse, entry: NgspSimRequest): void {
    entry.fault = fault;
    switch (fault) {
      case 'hang':
        return; // closeAllConnections() on close ends it
      case 'reset':
        res.socket?.destroy();
        return;
      case 'rate_limited':
        return answer(res, entry, 429, { error: 'rate_limit_exceeded', error_description: 'too many requests' }, { 'Retry-After': String(faults.retryAfterSeconds) });
      case 'error':
        return draw.next() < 0.5
          ? answer(res, entry, 500, { error: 'server_error', error_description: 'internal error of the registry' })
          : answer(res, entry, 503, { error: 'temporarily_unavailable', error_description: 'the registry is temporarily unavailable' });
      case 'huge':
        return answer(res, entry, 200, hugeBody(faults.hugeBytes));
      case 'personal_error':
        return answer(res, entry, 400, registry.personalError);
      case 'malformed': {
        const variants = entry.path === TOKEN_PATH ? MALFORMED_TOKEN : registry.malformedAnswers;
        const [type, body] = variants[Math.floor(draw.next() * variants.length)]!;
        return answer(res, entry, 200, body, { 'Content-Type': type });
      }
    }
  }

  async function protocol(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const entry: NgspSimRequest = {
      at: Date.now(),
      method: req.method ?? 'GET',
      path: url.pathname,
      subject: url.searchParams.get(registry.queryParam),
      auth: authKind(req.headers.authorization),
      xroadClient: headerValue(req.headers['x-road-client']),
      status: null,
      fault: null,
    };
    record(entry);
    const isToken = entry.path === TOKEN_PATH;
    if (isToken) tokenCount++;
    if (faults.down) {
      entry.fault = 'down';
      req.socket.destroy();
      return;
    }
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    if (closed) return;
    const drawn = draw.fault(faults);
    // Huge answers and personal-data refusals are answers to lookups; a token request is spared them.
    const fault = isToken && (drawn === 'huge' || drawn === 'personal_error') ? null : drawn;
    if (fault) return injectFault(fault, res, entry);
    if (isToken) {
      if (entry.method !== 'POST') return answer(res, entry, 405, { error: 'invalid_request', error_description: 'use POST' }, { Allow: 'POST' });
      return token(req, res, entry);
    }
    if (entry.path === LOOKUP_PATH) {
      if (entry.method !== 'GET') return answer(res, entry, 405, { error: 'invalid_request', error_description: 'use GET' }, { Allow: 'GET' });
      return lookup(req, res, entry);
    }
    answer(res, entry, 404, { error: 'not_found', error_description: `no resource at ${entry.path}` });
  }

  const control = {
    state: () => ({ faults, tokenRequests: tokenCount, requests: log.length, activeTokens: tokens.size, recentRequests: log.slice(-20) }),
    setFaults: (update: unknown) => ({ faults: setFaults(update as NgspFaultUpdate) }),
    reset: () => {
      reset();
      return { faults };
    },
    actions: {
      'revoke-tokens': () => {
        const revoked = tokens.size;
        tokens.clear();
        return { revoked };
      },
    },
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const handled = isControlPath(url.pathname) ? handleControl(req, res, url.pathname, control) : protocol(req, res, url);
    handled.catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) answer(res, null, 500, { error: 'server_error', error_description: String(error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? registry.defaultPort, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    setFaults,
    resetFaults: () => {
      faults = startFaults;
      return { ...faults };
    },
    revokeTokens: () => tokens.clear(),
    requests: () => log.map((entry) => ({ ...entry })),
    tokenRequests: () => tokenCount,
    reset,
    close: async () => {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await stopped;
    },
  };
}

/** A JSON body of about `bytes`: a list of padding strings, well-formed, just too big. */
function hugeBody(bytes: number): string {
  const item = `"${'x'.repeat(1022)}",`;
  return `{"padding":[${item.repeat(Math.max(1, Math.ceil(bytes / item.length)))}""]}`;
}

const MALFORMED_TOKEN: ReadonlyArray<readonly [string, string]> = [
  ['application/json', '{"access_token": "'],
  ['application/json', '{"token_type": "Bearer", "expires_in": 3600}'],
];

function answer(res: ServerResponse, entry: NgspSimRequest | null, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers, 'Content-Length': Buffer.byteLength(text) }).end(text);
  if (entry) entry.status = status;
}

/** The body as text, or null when it is larger than MAX_BODY_BYTES. */
async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | null {
  const encoded = /^Basic\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
  if (encoded === undefined) return null;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

function authKind(header: string | undefined): NgspSimRequest['auth'] {
  if (header === undefined || header === '') return 'none';
  if (/^Bearer\s/i.test(header)) return 'bearer';
  if (/^Basic\s/i.test(header)) return 'basic';
  return 'other';
}

function headerValue(value: string | string[] | undefined): string | null {
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}
