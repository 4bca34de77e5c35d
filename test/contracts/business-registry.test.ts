/** The BusinessRegistry contract against the business registry adapter talking to its simulator, and against the fake. */
import { createDkdnBusinessRegistry } from '../../adapters/dkdn-rest/index.js';
import { startDkdnSimulator } from '../../adapters/dkdn-rest/simulator.js';
import { FakeBusinessRegistry, fakeBusinessesFromFixtures } from '../../adapters/fake/index.js';
import { UpstreamUnavailable } from '../../src/domain/errors.js';
import { businessRegistryContract } from './business-registry.contract.js';

businessRegistryContract('business registry adapter over its simulator', async () => {
  const sim = await startDkdnSimulator({ port: 0, seed: 1 });
  const port = createDkdnBusinessRegistry({
    url: sim.url,
    clientId: 'dvc-gateway',
    clientSecret: 'dkdn-secret',
    xroadClient: 'VN/GOV/000.00.00.H26/DVC-GATEWAY',
    timeoutMs: 2_000,
  });
  return {
    port,
    control: {
      unavailable: () => void sim.setFaults({ errorRate: 1 }),
      hang: () => void sim.setFaults({ hangRate: 1 }),
      restore: () => void sim.resetFaults(),
    },
    close: async () => {
      port.close();
      await sim.close();
    },
  };
});

businessRegistryContract('FakeBusinessRegistry', async () => {
  const fake = new FakeBusinessRegistry(fakeBusinessesFromFixtures());
  return {
    port: fake,
    control: {
      unavailable: () => fake.failNext(new UpstreamUnavailable('dkdn: HTTP 503', { upstream: 'dkdn', reason: 'http_5xx' }), Infinity),
      hang: () => fake.hangNext(Infinity),
      restore: () => fake.clearFaults(),
    },
    close: async () => undefined,
  };
});
