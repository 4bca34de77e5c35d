/** The CitizenRegistry contract against the population DB adapter talking to its simulator, and against the fake. */
import { createDancuCitizenRegistry } from '../../adapters/dancu-soap/index.js';
import { startDancuSimulator } from '../../adapters/dancu-soap/simulator.js';
import { FakeCitizenRegistry, fakeCitizensFromFixtures } from '../../adapters/fake/index.js';
import { UpstreamUnavailable } from '../../src/domain/errors.js';
import { citizenRegistryContract } from './citizen-registry.contract.js';

citizenRegistryContract('population DB adapter over its simulator', async () => {
  const sim = await startDancuSimulator({ port: 0, seed: 1 });
  // Credentials and codes: src/config.ts defaults, which the simulator expects by default.
  const port = await createDancuCitizenRegistry({
    url: sim.url,
    username: 'dvc-gateway',
    secret: 'dancu-secret',
    apiKey: 'dancu-api-key',
    maDvc: 'DVC-H26',
    maTichHop: 'DVC-GATEWAY',
    maDonVi: '000.00.00.H26',
    xroadClient: 'VN/GOV/000.00.00.H26/DVC-GATEWAY',
    timeoutMs: 2_000,
  });
  return {
    port,
    control: {
      unavailable: () => sim.setFaults({ errorRate: 1, errorStatus: 503 }),
      hang: () => sim.setFaults({ hangRate: 1 }),
      restore: () => sim.resetFaults(),
    },
    close: async () => {
      port.close();
      await sim.close();
    },
  };
});

citizenRegistryContract('FakeCitizenRegistry', async () => {
  const fake = new FakeCitizenRegistry(fakeCitizensFromFixtures());
  return {
    port: fake,
    control: {
      unavailable: () => fake.failNext(new UpstreamUnavailable('dancu: HTTP 503', { upstream: 'dancu', reason: 'http_5xx' }), Infinity),
      hang: () => fake.hangNext(Infinity),
      restore: () => fake.clearFaults(),
    },
    close: async () => undefined,
  };
});
