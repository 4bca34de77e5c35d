/**
 * A stand-in for the business registry behind NGSP: the shared NGSP registry simulator
 * (../shared/ngsp/simulator.ts) speaking shared/UPSTREAMS.md §3 (`chiTietDoanhNghiep?msdn=`), holding
 * the fixture businesses, with fault injection, readback, and the shared `/_sim/` control plane.
 */
import { checkEnterpriseCode } from '../../src/domain/identifiers.js';
import { startNgspSimulator, type NgspSimRequest, type NgspSimulator, type NgspSimulatorOptions } from '../shared/ngsp/simulator.js';
import { FIXTURE_BUSINESSES, generatedBusiness } from './fixtures/index.js';
import type { WireBusiness } from './mapping.js';

export type { NgspFaultUpdate as DkdnFaultUpdate, NgspFaults as DkdnFaults, FaultKind } from '../shared/ngsp/simulator.js';

export interface DkdnSimulatorOptions extends NgspSimulatorOptions {
  /** The businesses the registry holds. Default FIXTURE_BUSINESSES. */
  businesses?: readonly WireBusiness[];
  /** Answer any other valid enterprise code with a made-up business, the same for the same code. Default false. */
  generate?: boolean;
}

/** One protocol request as the simulator received it; `msdn` is its query parameter. */
export interface DkdnSimRequest extends NgspSimRequest {
  msdn: string | null;
}

export interface DkdnSimulator extends Omit<NgspSimulator, 'requests'> {
  requests(): DkdnSimRequest[];
}

// Spelled out here rather than imported from the client: the simulator follows UPSTREAMS.md, not the adapter.
const LOOKUP_PATH = '/apiCSDLDKDN/1.0/chiTietDoanhNghiep';

export async function startDkdnSimulator(options: DkdnSimulatorOptions = {}): Promise<DkdnSimulator> {
  // Answers of held businesses are serialized once: the benchmark's hot path.
  const held = new Map((options.businesses ?? FIXTURE_BUSINESSES).map((b) => [b.MaSoDoanhNghiep, JSON.stringify({ GetEntCert: [b] })]));
  const sim = await startNgspSimulator(
    {
      lookupPath: LOOKUP_PATH,
      queryParam: 'msdn',
      find: (code) => held.get(code) ?? (options.generate && checkEnterpriseCode(code) === null ? JSON.stringify({ GetEntCert: [generatedBusiness(code)] }) : undefined),
      emptyAnswer: '{"GetEntCert":[]}',
      malformedAnswers: [
        ['application/json', '{"GetEntCert": [{"MaSoDoanhNghiep": "01'],
        ['text/html', '<html><body><h1>502 Bad Gateway</h1></body></html>'],
        ['application/json', '{"GetEntCert": {"MaSoDoanhNghiep": null}}'],
      ],
      personalError: { error: 'invalid_request', error_description: 'Người đại diện Nguyễn Văn An, CCCD 001099012345, không khớp với hồ sơ' },
      defaultPort: 7003,
      clientId: 'dvc-gateway',
      clientSecret: 'dkdn-secret',
    },
    options,
  );
  return { ...sim, requests: () => sim.requests().map((r) => ({ ...r, msdn: r.subject })) };
}
