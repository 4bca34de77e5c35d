/**
 * The baseline of bench/sync.ts: the least any forwarder must do, written as a newcomer would and with
 * nothing of the gateway's code. `PUT /v1/dossiers/{MaHoSo}` (node:http) → at once, over one keep-alive
 * `http.Agent`: DongBoHoSoMC (isUpdating "False", "True" when the portal says it has the dossier), then
 * CapNhatTienDoHoSoMC in calls of at most 10 items → `202`. One login, the session reused (and renewed
 * when refused). No validation, no queue, no retries, no durability.
 *
 * Run as its own process: `PORT=… DVCQG_AUTH_URL=… DVCQG_API_URL=… node --import tsx bench/lib/forwarder.ts`
 * (DVCQG_USERNAME, DVCQG_PASSWORD, DVCQG_DSTCODE, DVCQG_MADONVI default to the simulator's).
 */
import http from 'node:http';
import { pathToFileURL } from 'node:url';

const MAX_BODY = 1024 * 1024;
const PROGRESS_PER_CALL = 10;

interface PortalSettings {
  authUrl: string;
  apiUrl: string;
  username: string;
  password: string;
  dstcode: string;
  madonvi: string;
}

interface Answer {
  error_code?: unknown;
  message?: unknown;
  session?: unknown;
}

/** The two portal calls over plain node:http, one keep-alive agent, one shared session. */
export class PlainPortal {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private session: Promise<string> | null = null;

  constructor(private readonly s: PortalSettings) {}

  async syncDossier(dossier: unknown): Promise<void> {
    let answer = await this.call('DongBoHoSoMC', { isUpdating: 'False', data: [dossier] });
    if (String(answer.error_code) === '3') answer = await this.call('DongBoHoSoMC', { isUpdating: 'True', data: [dossier] });
    if (Number(answer.error_code) !== 0) throw new Error(`DongBoHoSoMC error_code ${String(answer.error_code)}`);
  }

  async updateProgress(items: unknown[]): Promise<void> {
    const answer = await this.call('CapNhatTienDoHoSoMC', { data: items });
    if (Number(answer.error_code) !== 0) throw new Error(`CapNhatTienDoHoSoMC error_code ${String(answer.error_code)}`);
  }

  close(): void {
    this.agent.destroy();
  }

  private async call(service: string, params: Record<string, unknown>): Promise<Answer> {
    for (let attempt = 0; ; attempt++) {
      const session = await this.login();
      const answer = await this.post(this.s.apiUrl, { session, madonvi: this.s.madonvi, service, ...params });
      if (String(answer.error_code) !== '401' || attempt > 0) return answer;
      this.session = null;
    }
  }

  private login(): Promise<string> {
    this.session ??= this.post(this.s.authUrl, { username: this.s.username, password: this.s.password }).then((a) => {
      if (typeof a.session !== 'string') throw new Error(`login refused: error_code ${String(a.error_code)}`);
      return a.session;
    });
    return this.session;
  }

  private post(url: string, body: unknown): Promise<Answer> {
    const text = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), dstcode: this.s.dstcode },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer);
            } catch {
              reject(new Error(`HTTP ${res.statusCode} without a JSON answer`));
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(text);
    });
  }
}

function readBody(req: http.IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

export function createForwarder(portal: PlainPortal): http.Server {
  const server = http.createServer((req, res) => {
    void (async () => {
      if (req.method === 'GET' && req.url === '/health/live') return reply(res, 200, { status: 'ok' });
      const m = /^\/v1\/dossiers\/([^/?]+)$/.exec(req.url ?? '');
      if (req.method !== 'PUT' || !m) return reply(res, 404, { code: 'not_found' });
      const raw = await readBody(req);
      if (raw === null) return reply(res, 413, { code: 'payload_too_large' });
      let body: { revision: number; dossier: unknown; progress?: unknown[] };
      try {
        body = JSON.parse(raw.toString('utf8')) as typeof body;
      } catch {
        return reply(res, 400, { code: 'invalid_body' });
      }
      try {
        await portal.syncDossier(body.dossier);
        const progress = body.progress ?? [];
        for (let i = 0; i < progress.length; i += PROGRESS_PER_CALL) await portal.updateProgress(progress.slice(i, i + PROGRESS_PER_CALL));
      } catch (e) {
        return reply(res, 502, { code: 'upstream_failed', detail: (e as Error).message });
      }
      reply(res, 202, { maHoSo: decodeURIComponent(m[1]!), revision: body.revision, outcome: 'accepted' });
    })().catch(() => {
      if (!res.headersSent) reply(res, 500, { code: 'internal' });
    });
  });
  server.keepAliveTimeout = 65_000;
  return server;
}

function env(name: string, fallback?: string): string {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === '') throw new Error(`${name} is required`);
  return v;
}

async function main(): Promise<void> {
  const portal = new PlainPortal({
    authUrl: env('DVCQG_AUTH_URL'),
    apiUrl: env('DVCQG_API_URL'),
    username: env('DVCQG_USERNAME', 'dvc-gateway'),
    password: env('DVCQG_PASSWORD', 'dvc-gateway-secret'),
    dstcode: env('DVCQG_DSTCODE', 'H26'),
    madonvi: env('DVCQG_MADONVI', '000.00.00.H26'),
  });
  const server = createForwarder(portal);
  await new Promise<void>((resolve) => server.listen(Number(env('PORT', '8080')), env('HOST', '127.0.0.1'), resolve));
  const stop = () => {
    server.close(() => {
      portal.close();
      process.exit(0);
    });
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(`forwarder: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
