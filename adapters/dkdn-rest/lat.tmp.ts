import { Agent, request } from 'node:http';
import { startDkdnSimulator } from './simulator.js';
import { createDkdnBusinessRegistry } from './index.js';
import { validEnterpriseCode } from './fixtures/index.js';
const sim = await startDkdnSimulator({ port: 0, generate: true, faults: { latencyMs: 20 } });
const agent = new Agent({ keepAlive: true });
const reg = createDkdnBusinessRegistry({ url: sim.url, clientId: 'dvc-gateway', clientSecret: 'dkdn-secret', xroadClient: 'X' });
const tok = await new Promise<string>((resolve) => { const req = request(sim.url + '/token', { method: 'POST', agent, headers: { authorization: 'Basic ' + Buffer.from('dvc-gateway:dkdn-secret').toString('base64'), 'content-type': 'application/x-www-form-urlencoded' } }, (res) => { let d = ''; res.on('data', (c) => (d += c)); res.on('end', () => resolve(JSON.parse(d).access_token)); }); req.end('grant_type=client_credentials'); });
const raw = (code: string) => new Promise<void>((resolve, reject) => { const req = request(sim.url + '/apiCSDLDKDN/1.0/chiTietDoanhNghiep?msdn=' + code, { agent, headers: { authorization: 'Bearer ' + tok } }, (res) => { res.resume(); res.on('end', resolve); }); req.on('error', reject); req.end(); });
for (const [name, fn] of [['raw', raw], ['adapter', (c: string) => reg.findBusiness(c, { officerId: 'o', dossierCode: 'd' })]] as const) {
  for (const conc of [1, 16, 64]) {
    const N = 1000; let next = 0; const lat: number[] = []; const t0 = performance.now();
    await Promise.all(Array.from({ length: conc }, async () => { while (next < N) { const i = next++; const s = performance.now(); await fn(validEnterpriseCode(i)); lat.push(performance.now() - s); } }));
    lat.sort((a, b) => a - b);
    console.log(`${name} conc ${conc}: ${(N / (performance.now() - t0) * 1000).toFixed(0)}/s p50 ${lat[N / 2]!.toFixed(2)} p99 ${lat[Math.floor(N * 0.99)]!.toFixed(2)}`);
  }
}
agent.destroy(); reg.close(); await sim.close();
