/**
 * The national population database (CSDL quốc gia về dân cư) over SOAP, as a CitizenRegistry
 * (shared/UPSTREAMS.md §2). Resilience (breaker, bulkhead) wraps it from outside; the timeout is
 * its own, so that no call can hang.
 */
import type { Logger } from 'pino';
import { ValidationFailed } from '../../src/domain/errors.js';
import type { CallContext } from '../../src/ports/call-context.js';
import type { CitizenQuery, CitizenRegistry, LookupPurpose } from '../../src/ports/registries.js';
import { DancuSoapClient, type LookupBody } from './client.js';
import { DANCU_WSDL_PATH } from './fixtures/index.js';
import { failure, toCitizenRecord } from './mapping.js';
import { textOf } from './xml.js';

export interface DancuOptions {
  /** Endpoint (`DANCU_URL`). Signed exactly as written here, so give it as the upstream expects it. Required. */
  url: string;
  /** Path of the WSDL on disk (`DANCU_WSDL`); never fetched over the network. Default: the WSDL shipped in fixtures/. */
  wsdlPath?: string;
  /** Account name in the Basic scheme (`DANCU_USERNAME`). Required. */
  username: string;
  /** Shared secret hashed into the Basic scheme (`DANCU_SECRET`); never sent. Required. */
  secret: string;
  /** `ApiKey` header (`DANCU_API_KEY`). Required. */
  apiKey: string;
  /** `MaDVC`: code of the public-service system asking (`DANCU_MA_DVC`). Required. */
  maDvc: string;
  /** `MaTichHop`: integration code granted by the upstream (`DANCU_MA_TICH_HOP`). Required. */
  maTichHop: string;
  /** `MaDonVi`: the requesting agency's code (`DANCU_MA_DON_VI`). Required. */
  maDonVi: string;
  /** `TaiKhoan`: account (`DANCU_TAI_KHOAN`). Default: `username`. */
  taiKhoan?: string;
  /** `X-Road-Client` header: the gateway's subsystem id (`XROAD_CLIENT`). Required. */
  xroadClient: string;
  /** The most one call may take, connecting included; then it is aborted (`DANCU_TIMEOUT_MS`). Default 5000. */
  timeoutMs?: number;
  /** Where calls are logged (request id and outcome, never personal data). Default: no logging. */
  logger?: Logger;
}

export type DancuCitizenRegistry = CitizenRegistry & {
  /** Releases pooled connections; calls still in flight are cut. */
  close(): void;
};

const DEFAULT_TIMEOUT_MS = 5_000;

export async function createDancuCitizenRegistry(options: DancuOptions): Promise<DancuCitizenRegistry> {
  const client = await DancuSoapClient.open({
    url: options.url,
    wsdlPath: options.wsdlPath ?? DANCU_WSDL_PATH,
    username: options.username,
    secret: options.secret,
    apiKey: options.apiKey,
    xroadClient: options.xroadClient,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    logger: options.logger,
  });
  const fixed = {
    MaDVC: options.maDvc,
    MaTichHop: options.maTichHop,
    MaDonVi: options.maDonVi,
    TaiKhoan: options.taiKhoan ?? options.username,
  };

  return {
    async findCitizen(query: CitizenQuery, purpose: LookupPurpose, context?: CallContext) {
      const body: LookupBody = {
        MaDVC: fixed.MaDVC,
        MaTichHop: fixed.MaTichHop,
        MaCanBo: purpose.officerId,
        MaDonVi: fixed.MaDonVi,
        TaiKhoan: fixed.TaiKhoan,
        SoDinhDanh: query.idNumber,
        HoVaTen: query.fullName,
        NgayThangNamSinh: birthDateElement(query.birthDate),
      };
      const { citizens } = await client.lookup(body, context);
      if (citizens.length === 0) return null;
      const match = citizens.find((c) => textOf(c.SoDinhDanh) === query.idNumber);
      // Never hand an officer someone else's record.
      if (!match) throw failure({ kind: 'malformed', status: 200, problem: 'the answer is about a citizen other than the one asked for' });
      return toCitizenRecord(match);
    },
    close: () => client.close(),
  };
}

function birthDateElement(birthDate: string): LookupBody['NgayThangNamSinh'] {
  if (/^\d{8}$/.test(birthDate)) return { NgayThangNam: birthDate };
  if (/^\d{4}$/.test(birthDate)) return { Nam: birthDate };
  throw new ValidationFailed('invalid_query', 'ngaySinh must be yyyyMMdd or yyyy', [{ path: 'ngaySinh', message: 'must be yyyyMMdd or yyyy' }]);
}

export { startDancuSimulator, type DancuFaults, type DancuSimulator, type DancuSimulatorOptions } from './simulator.js';
