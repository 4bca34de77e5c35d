import { Agent, request } from 'node:http';
import { startDkdnSimulator } from './simulator.js';
import { validEnterpriseCode } from './fixtures/index.js';
const sim = await startDkdnSimulator({ port: 0, generate: true });
const agent = new Agent({ keepAlive: true });
function call(path: string, method = 'GET', headers: Record<string, string> = {}, body?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(sim.url + path, { method, agent, headers }, (res) => { let d = ''; res.setEncoding('utf8'); res.on('data', (c) => (d += c)); res.on('end', () => resolve(d)); });
    req.on('error', reject); req.end(body);
  });
}
const tok = JSON.parse(await call('/token', 'POST', { authorization: 'Basic ' + Buffer.from('dvc-gateway:dkdn-secret').toString('base64'), 'content-type': 'application/x-www-form-urlencoded' }, 'grant_type=client_credentials')).access_token;
for (const conc of [1, 64]) {
  const N = 8000; let next = 0; const t0 = performance.now();
  await Promise.all(Array.from({ length: conc }, async () => { while (next < N) { const i = next++; await call('/apiCSDLDKDN/1.0/chiTietDoanhNghiep?msdn=' + validEnterpriseCode(i), 'GET', { authorization: 'Bearer ' + tok }); } }));
  console.log(`raw conc ${conc}: ${(N / (performance.now() - t0) * 1000).toFixed(0)}/s`);
}
agent.destroy(); await sim.close();
