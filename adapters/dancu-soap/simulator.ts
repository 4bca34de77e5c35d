/**
 * A simulated population DB: SOAP 1.1 over a real HTTP server (shared/UPSTREAMS.md §2), with fault
 * injection and a readback of what it received. Hand-written on node:http so that every answer,
 * Faults and broken ones included, is exactly what a test asks for.
 *
 * Control over HTTP, beside the SOAP endpoint: the shared control plane (../shared/sim-control.ts),
 * `POST /_sim/faults` taking a partial DancuFaults.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleControl, isControlPath, type SimControl } from '../shared/sim-control.js';
import { DANCU_WSDL_PATH, FIXTURE_CITIZENS, type CongDanXml } from './fixtures/index.js';
import { NO_FAULTS, checkFaults, createRandom, pickFault, type DancuFaults } from './simulator-faults.js';
import {
  answerXml,
  dtdAnswerXml,
  hugeAnswerXml,
  withCharacterReferences,
  bodyProblem,
  credentialProblem,
  faultXml,
  matches,
  readRequest,
  type CredentialProblem,
  type ReceivedBody,
} from './simulator-protocol.js';

export type { DancuFaults } from './simulator-faults.js';

export interface DancuSimulatorOptions {
  /** Default 7002 (the default DANCU_URL); 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Path of the SOAP endpoint. Default `/dancu/TraCuuThongTinCongDan`. */
  path?: string;
  /** The endpoint URL as the client is configured with it, which its signature covers. Default: `url`. */
  endpointUrl?: string;
  /** Expected credentials. Defaults: those of src/config.ts (`dvc-gateway`, `dancu-secret`, `dancu-api-key`). */
  username?: string;
  secret?: string;
  apiKey?: string;
  /** How far `Timestamp` may be from the simulator's clock, ms. Default 5 minutes. */
  maxClockSkewMs?: number;
  /** Citizens it knows. Default: FIXTURE_CITIZENS. */
  citizens?: readonly CongDanXml[];
  /** Faults from the start; `resetFaults()` comes back to these. Default: none. */
  faults?: Partial<DancuFaults>;
  /** Seed of the generator that decides which calls a fault hits. Default: random. */
  seed?: number;
  /** Calls kept for `requests()`, newest kept. Default 10000. */
  maxRecorded?: number;
}

export type DancuCallOutcome =
  | 'found'
  | 'not_found'
  | 'auth_failed'
  | 'bad_request'
  | 'duplicate_request_id'
  | 'fault'
  | 'error'
  | 'rate_limited'
  | 'malformed'
  | 'huge'
  | 'personal_fault'
  | 'dtd'
  | 'hang'
  | 'reset'
  | 'down';

export interface DancuReceivedCall {
  at: string;
  /** What the simulator did with the call. */
  outcome: DancuCallOutcome;
  /** Which credential check failed, for `auth_failed`. */
  credentialProblem: CredentialProblem | null;
  /** The request headers of §2 as received; null when absent. */
  headers: { soapAction: string | null; timestamp: string | null; apiKey: string | null; xRoadClient: string | null; authorization: string | null };
  /** The parsed body, by upstream field names; null when it was no readable SOAP request. */
  body: ReceivedBody | null;
}

export interface DancuSimulator {
  /** The SOAP endpoint: what DANCU_URL should be. */
  url: string;
  port: number;
  /** What the signature is checked against (the client's configured endpoint). */
  endpointUrl: string;
  /** Changes some faults from now on; invalid values throw. */
  setFaults(faults: Partial<DancuFaults>): void;
  /** Back to the faults given at start. */
  resetFaults(): void;
  faults(): DancuFaults;
  /** Calls received, oldest first. */
  requests(): DancuReceivedCall[];
  /** Calls held open by `hangRate` whose connection is still open. */
  hanging(): number;
  /** Forgets received calls and request ids, and resets faults. */
  reset(): void;
  /** Stops listening and closes every connection, hung ones included. */
  close(): Promise<void>;
}

const MAX_REQUEST_BYTES = 1024 * 1024;
const MAX_REMEMBERED_IDS = 100_000;
const AUTH_FAULT = 'Xác thực không hợp lệ';

export async function startDancuSimulator(options: DancuSimulatorOptions = {}): Promise<DancuSimulator> {
  const host = options.host ?? '127.0.0.1';
  const path = options.path ?? '/dancu/TraCuuThongTinCongDan';
  const citizens = options.citizens ?? FIXTURE_CITIZENS.map((f) => f.congDan);
  const startFaults = checkFaults({ ...NO_FAULTS, ...options.faults });
  const random = createRandom(options.seed ?? Date.now());
  const maxRecorded = options.maxRecorded ?? 10_000;
  let faults = startFaults;
  let recorded: DancuReceivedCall[] = [];
  let seenRequestIds = new Set<string>();
  const hung = new Set<http.ServerResponse>();
  const timers = new Set<NodeJS.Timeout>();
  let credentials = { endpointUrl: '', username: '', secret: '', apiKey: '', maxClockSkewMs: 0 };
  let wsdl = '';

  const record = (call: DancuReceivedCall) => {
    recorded.push(call);
    if (recorded.length > maxRecorded) recorded = recorded.slice(-maxRecorded);
  };
  const state = () => ({ faults, received: recorded.length, hanging: hung.size, citizens: citizens.length, requests: recorded.slice(-50) });
  const reset = () => {
    recorded = [];
    seenRequestIds = new Set();
    faults = startFaults;
  };

  const handleSoap = async (req: http.IncomingMessage, res: http.ServerResponse, text: string) => {
    const header = (name: string) => headerOf(req, name);
    const reading = readRequest(text);
    const call: DancuReceivedCall = {
      at: new Date().toISOString(),
      outcome: 'not_found',
      credentialProblem: null,
      headers: {
        soapAction: header('soapaction'),
        timestamp: header('timestamp'),
        apiKey: header('apikey'),
        xRoadClient: header('x-road-client'),
        authorization: header('authorization'),
      },
      body: reading.ok ? reading.body : null,
    };
    record(call);
    if (faults.down) {
      // Unreachable, as far as a client can tell; the control endpoints keep answering.
      call.outcome = 'down';
      req.socket.destroy();
      return;
    }
    const fault = pickFault(faults, random());
    if (fault === 'reset') {
      call.outcome = 'reset';
      req.socket.resetAndDestroy();
      return;
    }
    if (fault === 'hang') {
      call.outcome = 'hang';
      hung.add(res);
      res.on('close', () => hung.delete(res));
      return;
    }
    if (faults.latencyMs > 0) await delay(faults.latencyMs, timers);
    if (res.destroyed) return;
    switch (fault) {
      case 'error':
        call.outcome = 'error';
        return send(res, faults.errorStatus, 'text/plain; charset=utf-8', `${faults.errorStatus} ${http.STATUS_CODES[faults.errorStatus] ?? 'Error'}`);
      case 'rate_limit':
        call.outcome = 'rate_limited';
        return send(res, 429, 'text/plain; charset=utf-8', '429 Too Many Requests', { 'Retry-After': '1' });
      case 'fault':
        call.outcome = 'fault';
        return sendXml(res, 500, faultXml('soap:Server', 'Lỗi hệ thống, vui lòng thử lại sau'));
      case 'malformed': {
        call.outcome = 'malformed';
        const whole = answerXml(citizens.slice(0, 1));
        return sendXml(res, 200, whole.slice(0, Math.floor(whole.length / 2)));
      }
      case 'huge':
        call.outcome = 'huge';
        return sendXml(res, 200, hugeAnswerXml(faults.hugeBytes));
      case 'personal_fault': {
        call.outcome = 'personal_fault';
        const who = reading.ok ? `${reading.body.HoVaTen ?? ''}, số định danh ${reading.body.SoDinhDanh ?? ''}` : 'công dân';
        return sendXml(res, 500, faultXml('soap:Server', `Không xử lý được yêu cầu tra cứu của ${who}`));
      }
      case 'dtd':
        call.outcome = 'dtd';
        return sendXml(res, 200, dtdAnswerXml());
    }
    const problem = credentialProblem(header, credentials, Date.now());
    if (problem !== null) {
      call.outcome = 'auth_failed';
      call.credentialProblem = problem;
      // One message for every credential failure, as an upstream that reveals nothing would answer.
      return sendXml(res, 500, faultXml('soap:Client', problem === 'soap_action' ? 'SOAPAction không hợp lệ' : AUTH_FAULT));
    }
    const invalid = reading.ok ? bodyProblem(reading.body) : `Yêu cầu không hợp lệ: ${reading.problem}`;
    if (!reading.ok || invalid !== null) {
      call.outcome = 'bad_request';
      return sendXml(res, 500, faultXml('soap:Client', invalid ?? 'Yêu cầu không hợp lệ'));
    }
    if (seenRequestIds.has(reading.body.MaYeuCau!)) {
      call.outcome = 'duplicate_request_id';
      return sendXml(res, 500, faultXml('soap:Client', 'MaYeuCau đã được sử dụng'));
    }
    seenRequestIds.add(reading.body.MaYeuCau!);
    // Bounded for long demo runs: a repeat long after the fact goes unnoticed, which tests never need.
    if (seenRequestIds.size > MAX_REMEMBERED_IDS) seenRequestIds.delete(seenRequestIds.values().next().value!);
    const found = citizens.filter((c) => matches(c, reading.body));
    call.outcome = found.length > 0 ? 'found' : 'not_found';
    const xml = answerXml(found);
    sendXml(res, 200, faults.characterReferences ? withCharacterReferences(xml) : xml);
  };

  const control: SimControl = {
    state,
    setFaults: (update) => {
      faults = checkFaults({ ...faults, ...(update as Partial<DancuFaults>) });
      return state();
    },
    reset: () => {
      reset();
      return state();
    },
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    readBody(req, MAX_REQUEST_BYTES).then(
      (text) => {
        if (isControlPath(url.pathname)) return handleControl(req, res, url.pathname, control, text);
        if (url.pathname !== path) return send(res, 404, 'text/plain; charset=utf-8', 'Not Found');
        if (req.method === 'GET' && [...url.searchParams.keys()].some((k) => k.toLowerCase() === 'wsdl')) {
          return send(res, 200, 'text/xml; charset=utf-8', wsdl);
        }
        if (req.method !== 'POST') return send(res, 405, 'text/plain; charset=utf-8', 'Method Not Allowed', { Allow: 'POST' });
        return handleSoap(req, res, text);
      },
      () => send(res, 413, 'text/plain; charset=utf-8', 'Payload Too Large', { Connection: 'close' }),
    ).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', String(error));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7002, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
  const endpointUrl = options.endpointUrl ?? url;
  credentials = {
    endpointUrl,
    username: options.username ?? 'dvc-gateway',
    secret: options.secret ?? 'dancu-secret',
    apiKey: options.apiKey ?? 'dancu-api-key',
    maxClockSkewMs: options.maxClockSkewMs ?? 5 * 60_000,
  };
  wsdl = readFileSync(DANCU_WSDL_PATH, 'utf8').replace(/(<soap:address location=")[^"]*(")/, `$1${url}$2`);

  return {
    url,
    port,
    endpointUrl,
    setFaults: (partial) => void (faults = checkFaults({ ...faults, ...partial })),
    resetFaults: () => void (faults = startFaults),
    faults: () => faults,
    requests: () => [...recorded],
    hanging: () => hung.size,
    reset,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function headerOf(req: http.IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  const text = Array.isArray(value) ? value.join(', ') : value;
  return text === undefined ? null : text;
}

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        reject(new Error('too large'));
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function delay(ms: number, timers: Set<NodeJS.Timeout>): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      timers.delete(t);
      resolve();
    }, ms);
    timers.add(t);
  });
}

function send(res: http.ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendXml(res: http.ServerResponse, status: number, xml: string): void {
  send(res, status, 'text/xml; charset=utf-8', xml);
}
