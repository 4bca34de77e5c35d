/**
 * The floor of bench/lookup.ts: the least a lookup gateway in its own process can cost. A bare node:http
 * server that forwards `GET /v1/businesses/{code}` to the registry (one token fetched at start, a keep-alive
 * agent) and streams the answer back: no auth, no checks, no cache, no audit, no mapping. What it adds over
 * a direct call is the extra hop through one more process, on this machine.
 *
 * Run as its own process: `PORT=… DKDN_URL=… node --import tsx bench/lib/null-proxy.ts`.
 */
import http from 'node:http';
import { pathToFileURL } from 'node:url';

const LOOKUP = '/apiCSDLDKDN/1.0/chiTietDoanhNghiep';

async function token(base: URL, agent: http.Agent): Promise<string> {
  const basic = Buffer.from(`${process.env.DKDN_CLIENT_ID ?? 'dvc-gateway'}:${process.env.DKDN_CLIENT_SECRET ?? 'dkdn-secret'}`).toString('base64');
  const body = 'grant_type=client_credentials';
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: base.hostname, port: base.port, path: '/token', method: 'POST', agent, headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => (res.statusCode === 200 ? resolve((JSON.parse(text) as { access_token: string }).access_token) : reject(new Error(`/token answered ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const base = new URL(process.env.DKDN_URL ?? 'http://127.0.0.1:7003');
  const agent = new http.Agent({ keepAlive: true });
  const bearer = `Bearer ${await token(base, agent)}`;
  const server = http.createServer((req, res) => {
    if (req.url === '/health/live') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    const m = /^\/v1\/businesses\/([^/?]+)$/.exec(req.url ?? '');
    if (!m) return void res.writeHead(404).end();
    const up = http.request({ host: base.hostname, port: base.port, path: `${LOOKUP}?msdn=${m[1]}`, agent, headers: { authorization: bearer, accept: 'application/json' } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, { 'content-type': 'application/json', ...(answer.headers['content-length'] ? { 'content-length': answer.headers['content-length'] } : {}) });
      answer.pipe(res);
    });
    up.on('error', () => res.headersSent || res.writeHead(502).end());
    up.end();
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', resolve));
  process.once('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(`null-proxy: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
