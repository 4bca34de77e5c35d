/**
 * The registry's REST protocol through NGSP (shared/UPSTREAMS.md §3): `chiTietDoanhNghiep` with the
 * shared NGSP client (token, deadline, bounded answers); mapping.ts reads the answer.
 */
import type { BusinessRecord } from '../../src/domain/records.js';
import type { CallContext } from '../../src/ports/call-context.js';
import { NgspClient, type NgspConnectionOptions } from '../shared/ngsp/client.js';
import { DKDN, lookupOutcome } from './mapping.js';

export type DkdnClientOptions = NgspConnectionOptions;

export const LOOKUP_PATH = '/apiCSDLDKDN/1.0/chiTietDoanhNghiep';
export { TOKEN_PATH } from '../shared/ngsp/client.js';

export class DkdnClient {
  private readonly ngsp: NgspClient;

  constructor(options: DkdnClientOptions) {
    this.ngsp = new NgspClient({ ...DKDN, ...options });
  }

  /** The business with this code, or null when the registry has none. */
  findBusiness(enterpriseCode: string, context?: CallContext): Promise<BusinessRecord | null> {
    return this.ngsp.get(LOOKUP_PATH, { msdn: enterpriseCode }, context, (answer) => lookupOutcome(answer, enterpriseCode));
  }

  /** Releases kept-alive connections and forgets the token. */
  close(): void {
    this.ngsp.close();
  }
}
