/** The BirthRegistry contract against the civil-status adapter talking to its simulator, and against the fake. */
import { FakeBirthRegistry } from '../../adapters/hotich-rest/fake.js';
import { createHotichBirthRegistry, startHotichSimulator } from '../../adapters/hotich-rest/index.js';
import { UpstreamUnavailable } from '../../src/domain/errors.js';
import { birthRegistryContract } from './birth-registry.contract.js';

birthRegistryContract('civil-status registry adapter over its simulator', async () => {
  const sim = await startHotichSimulator({ port: 0, seed: 1 });
  const port = createHotichBirthRegistry({ url: sim.url, clientId: 'dvc-gateway', clientSecret: 'hotich-secret', xroadClient: 'VN/GOV/000.00.00.H26/DVC-GATEWAY', timeoutMs: 2_000 });
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

birthRegistryContract('FakeBirthRegistry', async () => {
  const fake = new FakeBirthRegistry();
  return {
    port: fake,
    control: {
      unavailable: () => fake.failNext(new UpstreamUnavailable('hotich: HTTP 503', { upstream: 'hotich', reason: 'http_5xx' }), Infinity),
      hang: () => fake.hangNext(Infinity),
      restore: () => fake.clearFaults(),
    },
    close: async () => undefined,
  };
});
