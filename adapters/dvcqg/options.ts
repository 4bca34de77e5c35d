/** The options of createDvcqgPortal, in a file of their own so that client.ts and index.ts need not import each other. */
import type { Logger } from 'pino';

export interface DvcqgPortalOptions {
  /** Login endpoint (`DVCQG_AUTH_URL`), e.g. `http://127.0.0.1:7001/dvcqg/login`. Required. */
  authUrl: string;
  /** Service endpoint (`DVCQG_API_URL`), e.g. `http://127.0.0.1:7001/dvcqg/api`. Required. */
  apiUrl: string;
  /** Account name sent at login. Required. */
  username: string;
  /** Password sent at login; never logged. Required. */
  password: string;
  /** Sent as the `dstcode` header of every request. Required. */
  dstcode: string;
  /** The agency code (`madonvi`) sent with every service call. Required. */
  madonvi: string;
  /**
   * The most one HTTP request may take, login included, before it is aborted and fails with
   * UpstreamTimeout. Default 10000.
   */
  timeoutMs?: number;
  /** Where logins, re-logins and calls are logged (debug level for calls). Default: nothing is logged. */
  logger?: Logger;
}
