/**
 * The SOAP transport of the population DB: node-soap builds the request from the shipped WSDL, and
 * this client signs it, bounds it in time, and judges the answer from what the wire carried. node-soap's
 * own reading of the answer is not used: it may turn `001099012345` into a number, and it reports
 * Faults, HTTP errors and unreadable bodies through one error path.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import type { Logger } from 'pino';
import { HttpClient, createClientAsync, type Client, type IExOptions, type IHeaders, type IOptions } from 'soap';
import { toPortalTimestamp } from '../../src/domain/dates.js';
import type { CallContext } from '../../src/ports/call-context.js';
import { classifyAnswer, failure, type CallFailure } from './mapping.js';
import { OPERATION, SOAP_ACTION, isXmlObject, listOf, readEnvelope, type XmlObject } from './xml.js';

export interface SoapClientSettings {
  url: string;
  wsdlPath: string;
  username: string;
  secret: string;
  apiKey: string;
  xroadClient: string;
  timeoutMs: number;
  logger?: Logger;
}

/** The body of TraCuuThongTinCongDan, in WSDL order, without MaYeuCau (the client makes one per call). */
export interface LookupBody {
  MaDVC: string;
  MaTichHop: string;
  MaCanBo: string;
  MaDonVi: string;
  TaiKhoan: string;
  SoDinhDanh: string;
  HoVaTen: string;
  NgayThangNamSinh: { Nam: string } | { NgayThangNam: string };
}

export interface LookupAnswer {
  maYeuCau: string;
  /** The CongDan elements of the CongdanCollection; empty when nobody matched. */
  citizens: XmlObject[];
}

/** An answer body larger than this is not a citizen record. */
const MAX_ANSWER_BYTES = 2 * 1024 * 1024;

/** Where the HTTP layer leaves what it saw of one call, whatever node-soap makes of it afterwards. */
interface Exchange {
  status?: number;
  body?: string;
  error?: unknown;
}
const EXCHANGE = 'dancuExchange';

class RecordingHttpClient extends HttpClient {
  override request(...[url, data, callback, headers, options]: Parameters<HttpClient['request']>): ReturnType<HttpClient['request']> {
    const { [EXCHANGE]: exchange, ...axiosOptions } = (options ?? {}) as IExOptions & { [EXCHANGE]?: Exchange };
    const recording = (error: unknown, res?: { status: number }, body?: unknown) => {
      if (exchange && res) Object.assign(exchange, { status: res.status, body: typeof body === 'string' ? body : String(body ?? '') });
      else if (exchange) exchange.error = error;
      return callback(error, res, body);
    };
    return super.request(url, data, recording, headers, axiosOptions);
  }

  /** The body exactly as received: node-soap would cut the Envelope out of whatever surrounds it. */
  override handleResponse(...[, , body]: Parameters<HttpClient['handleResponse']>): unknown {
    return body;
  }
}

/** Unique per call, at most 40 characters, readable in the upstream's logs: GW + local time + random. */
export function newRequestId(now = new Date()): string {
  const ms = String(now.getUTCMilliseconds()).padStart(3, '0');
  return `GW${toPortalTimestamp(now)}${ms}${randomBytes(6).toString('hex')}`;
}

/** `Basic base64(username:sha256hex(endpointUrl + username + timestamp + secret))`, endpointUrl as configured. */
export function basicAuthorization(endpointUrl: string, username: string, timestamp: string, secret: string): string {
  const digest = createHash('sha256').update(endpointUrl + username + timestamp + secret, 'utf8').digest('hex');
  return `Basic ${Buffer.from(`${username}:${digest}`, 'utf8').toString('base64')}`;
}

export class DancuSoapClient {
  private constructor(
    private readonly soap: Client,
    private readonly agents: { http: http.Agent; https: https.Agent },
    private readonly settings: SoapClientSettings,
  ) {}

  static async open(settings: SoapClientSettings): Promise<DancuSoapClient> {
    // node-soap would fetch an http(s) WSDL at start-up; the WSDL ships with the adapter instead.
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(settings.wsdlPath)) throw new Error(`dancu: wsdlPath must be a local file, not ${settings.wsdlPath}`);
    if (!existsSync(settings.wsdlPath)) throw new Error(`dancu: WSDL not found at ${settings.wsdlPath}`);
    const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
    const request: AxiosInstance = axios.create({ httpAgent: agents.http, httpsAgent: agents.https });
    const soap = await createClientAsync(settings.wsdlPath, {
      endpoint: settings.url,
      // Same axios at run time; its ESM and CJS typings are merely declared apart.
      httpClient: new RecordingHttpClient({ request: request as unknown as IOptions['request'] }),
    });
    return new DancuSoapClient(soap, agents, settings);
  }

  async lookup(body: LookupBody, context: CallContext = {}): Promise<LookupAnswer> {
    const { timeoutMs, logger } = this.settings;
    const maYeuCau = newRequestId();
    const exchange: Exchange = {};
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const signal = context.signal ? AbortSignal.any([deadline.signal, context.signal]) : deadline.signal;
    const started = performance.now();
    let soapError: unknown;
    try {
      await this.soap[`${OPERATION}Async`]({ MaYeuCau: maYeuCau, ...body }, {
        // Both: the socket timeout catches a stall, the signal bounds the call as a whole.
        timeout: timeoutMs,
        signal,
        maxRedirects: 0,
        maxContentLength: MAX_ANSWER_BYTES,
        [EXCHANGE]: exchange,
      }, this.headers());
    } catch (error) {
      soapError = error;
    } finally {
      clearTimeout(timer);
    }
    const log = { upstream: 'dancu', maYeuCau, requestId: context.requestId, status: exchange.status, latencyMs: Math.round(performance.now() - started) };
    try {
      const citizens = this.judge(exchange, soapError, deadline.signal, context.signal);
      logger?.debug({ ...log, matches: citizens.length }, 'dancu lookup answered');
      return { maYeuCau, citizens };
    } catch (error) {
      const e = error as { code?: string; details?: { upstreamCode?: string | null } };
      logger?.warn({ ...log, code: e.code, upstreamCode: e.details?.upstreamCode }, 'dancu lookup failed');
      throw error;
    }
  }

  /** Releases pooled connections; calls still in flight are cut. */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private headers(): IHeaders {
    const { url, username, secret, apiKey, xroadClient } = this.settings;
    const timestamp = String(Date.now());
    return {
      SOAPAction: `"${SOAP_ACTION}"`,
      Timestamp: timestamp,
      ApiKey: apiKey,
      'X-Road-Client': xroadClient,
      Authorization: basicAuthorization(url, username, timestamp, secret),
    };
  }

  private judge(exchange: Exchange, soapError: unknown, deadline: AbortSignal, callerSignal?: AbortSignal): XmlObject[] {
    if (exchange.status === undefined) {
      const cause = exchange.error ?? soapError;
      // Not a transport failure: a fault of this code or of node-soap, not of the upstream.
      if (exchange.error === undefined && !deadline.aborted && !callerSignal?.aborted) throw cause;
      throw failure(this.transportFailure(cause, deadline, callerSignal), cause);
    }
    const reading = readEnvelope(exchange.body ?? '');
    const failed = classifyAnswer(exchange.status, reading);
    if (failed) throw failure(failed);
    // Unreachable once classifyAnswer passed the answer; it narrows the type.
    if (!reading.ok) throw failure({ kind: 'malformed', status: exchange.status, problem: reading.problem });
    return this.citizensOf(reading.body, exchange.status);
  }

  private transportFailure(error: unknown, deadline: AbortSignal, callerSignal?: AbortSignal): CallFailure {
    const timeoutMs = this.settings.timeoutMs;
    if (deadline.aborted) return { kind: 'timeout', timeoutMs };
    if (callerSignal?.aborted) return { kind: 'aborted', timeoutMs };
    const code = (error as { code?: unknown })?.code;
    if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') return { kind: 'timeout', timeoutMs };
    if (code === 'ERR_BAD_RESPONSE') return { kind: 'malformed', status: 0, problem: (error as Error).message };
    return { kind: 'connection', code: typeof code === 'string' ? code : (error as Error)?.message ?? 'unknown' };
  }

  private citizensOf(body: XmlObject, status: number): XmlObject[] {
    const response = body[`${OPERATION}Response`];
    // The wrapper is what the protocol says; a bare CongdanCollection in the Body is read too, since
    // an independent implementation of the same protocol may leave the wrapper out.
    const collection = isXmlObject(response) ? response.CongdanCollection : body.CongdanCollection;
    if (collection === undefined) throw failure({ kind: 'malformed', status, problem: `no ${OPERATION}Response/CongdanCollection` });
    if (collection === '') return [];
    if (!isXmlObject(collection)) throw failure({ kind: 'malformed', status, problem: 'CongdanCollection holds text, not CongDan elements' });
    // An empty <CongDan/> carries no citizen.
    return listOf(collection.CongDan).filter(isXmlObject);
  }
}
