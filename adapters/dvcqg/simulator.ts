/**
 * A DVCQG simulator: a real HTTP server speaking the portal's protocol (shared/UPSTREAMS.md §1), with
 * fault injection and readback, for tests, benchmarks and the demo.
 *
 *   POST /dvcqg/login, POST /dvcqg/api        the protocol (faults apply here, before the call is applied)
 *
 * Control endpoints, on the control plane every simulator shares (../shared/sim-control.ts):
 *   GET  /_sim/state[?maHoSo=]                 dossiers, history, progress, calls, sessions, faults
 *   GET  /_sim/faults, POST /_sim/faults       read / change faults (JSON body, a partial DvcqgFaults)
 *   POST /_sim/reset-faults                    faults back to those given at start
 *   POST /_sim/reset                           forget dossiers, progress, history and calls
 *   POST /_sim/expire-sessions                 every session issued so far becomes invalid
 *   POST /_sim/dossiers/forget {maHoSo}        tamper: the portal loses a dossier it acknowledged
 *   POST /_sim/dossiers/tamper {maHoSo, set}   tamper: stored fields change (null removes one)
 */
import { ControlRefusal, handleControl, isControlPath, type SimControl } from '../shared/sim-control.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SimulatorCalls, describeRequest, type SimulatorCall } from './simulator-calls.js';
import { NO_FAULTS, describeFaults, drawFault, mergeFaults, seededRandom, type DvcqgFaults } from './simulator-faults.js';
import { SIMULATOR_CODES, SimulatedPortal, type Dossier, type HistoryEntry, type Progress, type SimulatorAnswer } from './simulator-portal.js';

export type { DvcqgFaults } from './simulator-faults.js';
export type { SimulatorCall } from './simulator-calls.js';
export type { Dossier as SimulatedDossier, HistoryEntry, Progress as SimulatedProgress } from './simulator-portal.js';

export interface DvcqgSimulatorOptions {
  /** Port to listen on; 0 picks a free one. Default 7001. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Expected login name. Default `dvc-gateway` (the gateway's default DVCQG_USERNAME). */
  username?: string;
  /** Expected password. Default `dvc-gateway-secret`. */
  password?: string;
  /** Expected `dstcode` header. Default `H26`. */
  dstcode?: string;
  /** When set, the only `madonvi` accepted; otherwise any non-empty one. Default unset. */
  madonvi?: string;
  /** Life of a session, ms (same as `faults.sessionTtlMs`, which wins). Default 1800000. */
  sessionTtlMs?: number;
  /** Faults from the start; `resetFaults()` returns to these. Default none. */
  faults?: Partial<DvcqgFaults>;
  /** Seed of the random source deciding faults and jitter. Default: random. */
  seed?: number;
  /** Most calls kept in the call log, oldest dropped first. Default 100000. */
  maxCalls?: number;
}

export interface DvcqgSimulator {
  /** `http://host:port`, without a trailing slash. */
  url: string;
  port: number;
  authUrl: string;
  apiUrl: string;
  /** Changes some faults, keeping the others; throws RangeError on a bad value. */
  setFaults(faults: Partial<DvcqgFaults>): void;
  faults(): DvcqgFaults;
  /** Faults back to those given at start. */
  resetFaults(): void;
  /** Forgets dossiers, progress, history and calls; sessions stay valid. */
  reset(): void;
  expireSessions(): void;
  /** The latest accepted data of every dossier, in order of first acceptance. */
  dossiers(): Dossier[];
  dossier(maHoSo: string): Dossier | undefined;
  /** Every accepted DongBoHoSoMC, in order, of one dossier or of all. */
  history(maHoSo?: string): HistoryEntry[];
  /** Tampering: the portal loses the dossier (and its progress) as if its store dropped it; false when unknown. */
  forgetDossier(maHoSo: string): boolean;
  /** Tampering: stored fields change without a call (null removes one); the dossier as now stored, or undefined. */
  tamperDossier(maHoSo: string, changes: Record<string, unknown>): Dossier | undefined;
  /** Accepted progress items of a dossier in arrival order. */
  progress(maHoSo: string): Progress[];
  /** Every protocol request (login included), in arrival order. */
  calls(): SimulatorCall[];
  /** Stops listening and destroys every connection, hung ones included. */
  close(): Promise<void>;
}

const BODY_LIMIT = 10 * 1024 * 1024;

export async function startDvcqgSimulator(options: DvcqgSimulatorOptions = {}): Promise<DvcqgSimulator> {
  const initial = mergeFaults(
    mergeFaults(NO_FAULTS, options.sessionTtlMs === undefined ? {} : { sessionTtlMs: options.sessionTtlMs }),
    options.faults ?? {},
  );
  let faults = initial;
  const random = seededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  const portal = new SimulatedPortal(
    {
      username: options.username ?? 'dvc-gateway',
      password: options.password ?? 'dvc-gateway-secret',
      dstcode: options.dstcode ?? 'H26',
      madonvi: options.madonvi,
    },
    () => faults,
  );
  const calls = new SimulatorCalls(options.maxCalls ?? 100_000);
  let serviceCalls = 0;
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const control = {
    setFaults: (change: Partial<DvcqgFaults>) => {
      faults = mergeFaults(faults, change);
    },
    resetFaults: () => {
      faults = initial;
    },
    reset: () => {
      portal.reset();
      calls.clear();
    },
    expireSessions: () => portal.expireSessions(),
  };

  async function protocol(route: 'login' | 'api', req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const text = await readBody(req);
    if (text === null) return send(res, 413, { error_code: SIMULATOR_CODES.badRequest, message: 'Dữ liệu quá lớn' });
    const body = parseJson(text);
    const call = calls.begin(describeRequest(route, body));
    const f = faults;
    if (f.down === 'reset') return destroy(req, call, 'down');
    if (f.down) return failWith(res, call, 503, 'down');
    const delay = f.latencyMs + (f.latencyJitterMs > 0 ? random() * f.latencyJitterMs : 0);
    if (delay > 0) await sleep(delay);
    if (closed) return;
    const fault = drawFault(f, random);
    if (fault === 'reset') return destroy(req, call, fault);
    if (fault === 'hang') return void calls.settle(call, { fault, httpStatus: null });
    if (fault === 'rate_limited') {
      calls.settle(call, { fault, httpStatus: 429 });
      return send(res, 429, { message: 'Too Many Requests' }, { 'retry-after': String(f.retryAfterSeconds) });
    }
    if (fault === 'http_500' || fault === 'http_503') return failWith(res, call, fault === 'http_500' ? 500 : 503, fault);
    if (fault === 'malformed') return malformed(res, call);
    if (fault === 'proxy_page') return proxyPage(res, call);
    if (fault === 'huge_answer') return hugeAnswer(res, call, f.hugeAnswerBytes);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      calls.settle(call, { httpStatus: 400, errorCode: SIMULATOR_CODES.badRequest });
      return send(res, 400, { error_code: code(SIMULATOR_CODES.badRequest), message: 'Yêu cầu không phải JSON hợp lệ' });
    }
    const dstcode = headerValue(req.headers.dstcode);
    if (route === 'api' && f.expireSessionsEveryCalls > 0 && ++serviceCalls % f.expireSessionsEveryCalls === 0) portal.expireSessions();
    const result = route === 'login' ? portal.login(dstcode, body as Record<string, unknown>) : portal.call(dstcode, body as Record<string, unknown>);
    if (result.applied && f.failAfterApplyRate > 0 && random() < f.failAfterApplyRate) {
      return failWith(res, call, 500, 'fail_after_apply', true);
    }
    if (result.applied && f.lateAnswerRate > 0 && random() < f.lateAnswerRate) {
      calls.settle(call, { fault: 'late_answer', httpStatus: 200, errorCode: result.errorCode, applied: true });
      await sleep(f.lateAnswerMs);
      if (closed) return;
      return send(res, 200, toJson(result));
    }
    calls.settle(call, { httpStatus: 200, errorCode: result.errorCode, applied: result.applied });
    send(res, 200, toJson(result));
  }

  function code(n: number): number | string {
    if (faults.errorCodeFormat === 'number') return n;
    return n === 0 ? '00' : String(n);
  }

  function toJson(result: SimulatorAnswer): Record<string, unknown> {
    return { error_code: code(result.errorCode), message: result.message, ...result.extra };
  }

  function destroy(req: http.IncomingMessage, call: SimulatorCall, fault: string): void {
    calls.settle(call, { fault, httpStatus: null });
    req.socket.destroy();
  }

  function failWith(res: http.ServerResponse, call: SimulatorCall, status: number, fault: string, applied = false): void {
    calls.settle(call, { fault, httpStatus: status, applied });
    const page = `<html><head><title>${status}</title></head><body><h1>${status} ${http.STATUS_CODES[status]}</h1></body></html>`;
    sendRaw(res, status, page, 'text/html; charset=utf-8');
  }

  function malformed(res: http.ServerResponse, call: SimulatorCall): void {
    calls.settle(call, { fault: 'malformed', httpStatus: 200 });
    if (random() < 0.5) {
      const full = JSON.stringify({ error_code: code(0), message: 'Thành công', result: [{ MaHoSo: '000.00.01.H26-261129-0001' }] });
      return sendRaw(res, 200, full.slice(0, Math.floor(full.length / 2)), 'application/json; charset=utf-8');
    }
    sendRaw(res, 200, '<!DOCTYPE html><html><body><h1>Hệ thống đang bảo trì</h1></body></html>', 'text/html; charset=utf-8');
  }

  /** What a proxy or firewall in front of the portal answers: a 403, 404 or 408 page, no portal JSON. */
  function proxyPage(res: http.ServerResponse, call: SimulatorCall): void {
    const status = [403, 404, 408][Math.floor(random() * 3)]!;
    calls.settle(call, { fault: 'proxy_page', httpStatus: status });
    const page = `<!DOCTYPE html><html><head><title>${status} ${http.STATUS_CODES[status]}</title></head><body><center><h1>${status} ${http.STATUS_CODES[status]}</h1></center><hr><center>nginx</center></body></html>`;
    sendRaw(res, status, page, 'text/html; charset=utf-8');
  }

  /** A 200 with a JSON answer of `bytes` bytes (a success padded with a long field), streamed in chunks. */
  function hugeAnswer(res: http.ServerResponse, call: SimulatorCall, bytes: number): void {
    calls.settle(call, { fault: 'huge_answer', httpStatus: 200 });
    const head = `{"error_code":${JSON.stringify(code(0))},"message":"Thành công","result":"`;
    const tail = '"}';
    const fill = Math.max(0, bytes - Buffer.byteLength(head) - tail.length);
    // No content-length: the client must stop on what it has read, not on what was announced.
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.write(head);
    const chunk = 'x'.repeat(64 * 1024);
    let left = fill;
    const pump = () => {
      while (left > 0 && !res.destroyed) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!res.write(n === chunk.length ? chunk : chunk.slice(0, n))) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end(tail);
    };
    pump();
  }

  /** The tampering actions' body: `{"maHoSo", ...}`. */
  function tamperBody(body: unknown): { maHoSo: string; set?: unknown } {
    const b = body as { maHoSo?: unknown; set?: unknown } | undefined;
    if (typeof b !== 'object' || b === null || typeof b.maHoSo !== 'string' || b.maHoSo === '') {
      throw new ControlRefusal(400, 'the body must be {"maHoSo": "...", ...}');
    }
    return b as { maHoSo: string; set?: unknown };
  }

  // The shared control plane (../shared/sim-control.ts), with this simulator's own actions.
  const controlPlane: SimControl = {
    state: (query) => state(query.get('maHoSo') ?? undefined),
    faults: () => ({ faults: describeFaults(faults) }),
    setFaults: (update) => {
      control.setFaults(update as Partial<DvcqgFaults>);
      return { faults: describeFaults(faults) };
    },
    reset: () => {
      control.reset();
      return { ok: true };
    },
    actions: {
      'reset-faults': () => {
        control.resetFaults();
        return { ok: true };
      },
      'expire-sessions': () => {
        control.expireSessions();
        return { ok: true };
      },
      'dossiers/forget': (body) => {
        const { maHoSo } = tamperBody(body);
        if (!portal.forget(maHoSo)) throw new ControlRefusal(404, `no dossier ${maHoSo}`);
        return { ok: true };
      },
      'dossiers/tamper': (body) => {
        const { maHoSo, set } = tamperBody(body);
        if (typeof set !== 'object' || set === null || Array.isArray(set)) throw new ControlRefusal(400, '"set" must be an object of the fields to change');
        const changed = portal.tamper(maHoSo, set as Record<string, unknown>);
        if (changed === undefined) throw new ControlRefusal(404, `no dossier ${maHoSo}`);
        return { dossier: changed };
      },
    },
  };

  function state(maHoSo: string | undefined): Record<string, unknown> {
    const only = <T extends { MaHoSo: string }>(items: T[]) => (maHoSo === undefined ? items : items.filter((i) => i.MaHoSo === maHoSo));
    const progress = portal.progressByDossier();
    return {
      dossiers: Object.fromEntries(only(portal.dossiers()).map((d) => [d.MaHoSo, d])),
      history: portal.history(maHoSo),
      progress: maHoSo === undefined ? progress : { [maHoSo]: progress[maHoSo] ?? [] },
      calls: maHoSo === undefined ? calls.all() : calls.all().filter((c) => c.maHoSo.includes(maHoSo)),
      activeSessions: portal.activeSessions(),
      faults: describeFaults(faults),
    };
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const handle = async () => {
      if (isControlPath(url.pathname)) return handleControl(req, res, url, controlPlane, req.method === 'POST' ? await readBody(req) : undefined);
      const route = url.pathname === '/dvcqg/login' ? 'login' : url.pathname === '/dvcqg/api' ? 'api' : null;
      if (route === null) return send(res, 404, { message: `Không tìm thấy ${url.pathname}` });
      if (req.method !== 'POST') return send(res, 405, { message: 'Chỉ hỗ trợ POST' }, { allow: 'POST' });
      await protocol(route, req, res);
    };
    handle().catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) send(res, 500, { message: `simulator error: ${(error as Error).message}` });
    });
  });
  // Longer than any client keeps an idle socket, so a kept-alive connection is not closed under a request.
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7001, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  return {
    url,
    port: address.port,
    authUrl: `${url}/dvcqg/login`,
    apiUrl: `${url}/dvcqg/api`,
    ...control,
    faults: () => faults,
    dossiers: () => portal.dossiers(),
    dossier: (maHoSo) => portal.dossier(maHoSo),
    forgetDossier: (maHoSo) => portal.forget(maHoSo),
    tamperDossier: (maHoSo, changes) => portal.tamper(maHoSo, changes),
    history: (maHoSo) => portal.history(maHoSo),
    progress: (maHoSo) => portal.progress(maHoSo),
    calls: () => calls.all(),
    close: async () => {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await done;
    },
  };
}

function readBody(req: http.IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= BODY_LIMIT) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > BODY_LIMIT ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendRaw(res, status, JSON.stringify(body), 'application/json; charset=utf-8', headers);
}

function sendRaw(res: http.ServerResponse, status: number, text: string, type: string, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
