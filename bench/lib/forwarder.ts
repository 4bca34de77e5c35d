/**
 * The baseline of bench/sync.ts: a plain synchronous forwarder. `PUT /v1/dossiers/{MaHoSo}` → at once,
 * through the same createDvcqgPortal adapter and configuration as the gateway (one login, the session
 * reused): DongBoHoSoMC, then CapNhatTienDoHoSoMC in calls of at most 10 items → `202`. No validation,
 * no queue, no retries, no durability: the least any forwarder must do, so the gateway's cost shows.
 *
 * Run as its own process: `PORT=… DVCQG_AUTH_URL=… DVCQG_API_URL=… node --import tsx bench/lib/forwarder.ts`.
 */
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { createDvcqgPortal } from '../../adapters/dvcqg/index.js';
import { loadConfig } from '../../src/config.js';
import type { PortalDossier, ProgressItem } from '../../src/domain/dossier.js';
import type { NationalPortal } from '../../src/ports/national-portal.js';

const MAX_BODY = 1024 * 1024;
const PROGRESS_PER_CALL = 10;

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

export function createForwarder(portal: NationalPortal): http.Server {
  const server = http.createServer((req, res) => {
    void (async () => {
      if (req.method === 'GET' && req.url === '/health/live') return reply(res, 200, { status: 'ok' });
      const m = /^\/v1\/dossiers\/([^/?]+)$/.exec(req.url ?? '');
      if (req.method !== 'PUT' || !m) return reply(res, 404, { code: 'not_found' });
      const raw = await readBody(req);
      if (raw === null) return reply(res, 413, { code: 'payload_too_large' });
      let body: { revision: number; dossier: PortalDossier; progress?: ProgressItem[] };
      try {
        body = JSON.parse(raw.toString('utf8')) as typeof body;
      } catch {
        return reply(res, 400, { code: 'invalid_body' });
      }
      try {
        await portal.syncDossier(body.dossier, { knownToPortal: false });
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

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const portal = createDvcqgPortal({ ...config.dvcqg, timeoutMs: config.dvcqg.resilience.timeoutMs });
  const server = createForwarder(portal);
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
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
