/**
 * Why the portal adapter uses undici (`npm run bench:sync -- --portal-clients`): the client CPU of one
 * DongBoHoSoMC call (the benchmark's dossier, 64 in flight) over node:http with a keep-alive Agent and
 * over undici's pool, against the simulator in its own process. Median of three measured rounds each,
 * after a warm-up round.
 */
import http from 'node:http';
import { Agent, request } from 'undici';
import { sampleDossier } from '../../adapters/dvcqg/index.js';
import { startNodeChild } from './child.js';

export interface ClientFigures {
  nodeHttpCpuUsPerCall: number;
  undiciCpuUsPerCall: number;
}

const HEADERS = { 'content-type': 'application/json; charset=utf-8', dstcode: 'H26' };

export async function comparePortalClients(calls = 5_000): Promise<ClientFigures> {
  const sim = await startNodeChild({ script: 'bench/lib/dvcqg-sim-child.ts', label: 'dvcqg simulator', env: {}, readyPath: '/_sim/faults' });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const pool = new Agent({ keepAliveTimeout: 30_000, connections: 256 });
  const viaHttp = (url: string, body: string) =>
    new Promise<string>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent, headers: { ...HEADERS, 'content-length': Buffer.byteLength(body) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  const viaUndici = async (url: string, body: string) => (await request(url, { method: 'POST', dispatcher: pool, headers: HEADERS, body })).body.text();
  try {
    const login = JSON.parse(await viaHttp(`${sim.url}/dvcqg/login`, JSON.stringify({ username: 'dvc-gateway', password: 'dvc-gateway-secret' }))) as { session: string };
    const dossier = sampleDossier('000.00.01.H26-261129-0001');
    const api = `${sim.url}/dvcqg/api`;
    const round = async (send: (url: string, body: string) => Promise<string>) => {
      let i = 0;
      const before = process.cpuUsage();
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (i++ < calls) {
            const body = JSON.stringify({ session: login.session, madonvi: '000.00.00.H26', service: 'DongBoHoSoMC', isUpdating: 'True', data: [dossier] });
            JSON.parse(await send(api, body));
          }
        }),
      );
      const used = process.cpuUsage(before);
      return (used.user + used.system) / calls;
    };
    const figures = { http: [] as number[], undici: [] as number[] };
    for (let r = 0; r < 4; r++) {
      const h = await round(viaHttp);
      const u = await round(viaUndici);
      if (r > 0) {
        figures.http.push(h);
        figures.undici.push(u);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return { nodeHttpCpuUsPerCall: Number(median(figures.http).toFixed(1)), undiciCpuUsPerCall: Number(median(figures.undici).toFixed(1)) };
  } finally {
    agent.destroy();
    await pool.destroy();
    await sim.stop();
  }
}
