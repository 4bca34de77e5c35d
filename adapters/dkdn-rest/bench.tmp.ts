import { startDkdnSimulator } from './simulator.js';
import { createDkdnBusinessRegistry } from './index.js';
import { validEnterpriseCode } from './fixtures/index.js';
const sim = await startDkdnSimulator({ port: 0, generate: true });
const reg = createDkdnBusinessRegistry({ url: sim.url, clientId: 'dvc-gateway', clientSecret: 'dkdn-secret', xroadClient: 'VN/GOV/X' });
const p = { officerId: 'o', dossierCode: 'd' };
console.log(JSON.stringify(await reg.findBusiness(validEnterpriseCode(0), p)));
for (const conc of [1, 16, 64, 256]) {
  const N = 4000;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: conc }, async () => { while (next < N) { const i = next++; const r = await reg.findBusiness(validEnterpriseCode(i), p); if (!r) throw new Error('x'); } }));
  const ms = performance.now() - t0;
  console.log(`conc ${conc}: ${N} in ${ms.toFixed(0)} ms = ${(N / ms * 1000).toFixed(0)}/s`);
}
sim.setFaults({ latencyMs: 20 });
{
  const N = 2000; let next = 0; const t0 = performance.now(); const lat: number[] = [];
  await Promise.all(Array.from({ length: 64 }, async () => { while (next < N) { const i = next++; const s = performance.now(); await reg.findBusiness(validEnterpriseCode(i), p); lat.push(performance.now() - s); } }));
  lat.sort((a, b) => a - b);
  console.log(`latency 20: ${N} in ${(performance.now() - t0).toFixed(0)} ms p50 ${lat[N / 2]!.toFixed(1)} p99 ${lat[Math.floor(N * 0.99)]!.toFixed(1)}`);
}
reg.close(); await sim.close();
