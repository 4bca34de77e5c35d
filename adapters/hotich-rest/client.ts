/**
 * The civil-status registry's REST protocol through NGSP (shared/UPSTREAMS.md §4): `traCuuKhaiSinh`
 * with the shared NGSP client (token, deadline, bounded answers); mapping.ts reads the answer.
 */
import type { CallContext } from '../../src/ports/call-context.js';
import { NgspClient, type NgspConnectionOptions } from '../shared/ngsp/client.js';
import { HOTICH, lookupOutcome } from './mapping.js';
import type { BirthRegistrationRecord } from './records.js';

export type HotichClientOptions = NgspConnectionOptions;

export const LOOKUP_PATH = '/apiHoTich/1.0/traCuuKhaiSinh';

export class HotichClient {
  private readonly ngsp: NgspClient;

  constructor(options: HotichClientOptions) {
    this.ngsp = new NgspClient({ ...HOTICH, ...options });
  }

  findBirthRegistration(idNumber: string, context?: CallContext): Promise<BirthRegistrationRecord | null> {
    return this.ngsp.get(LOOKUP_PATH, { soDinhDanh: idNumber }, context, (answer) => lookupOutcome(answer, idNumber));
  }

  close(): void {
    this.ngsp.close();
  }
}
