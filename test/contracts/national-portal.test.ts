/** The NationalPortal contract against the DVCQG adapter talking to its simulator, and against the fake. */
import { createDvcqgPortal, startDvcqgSimulator } from '../../adapters/dvcqg/index.js';
import { FakeNationalPortal } from '../../adapters/fake/index.js';
import type { ProgressItem } from '../../src/domain/dossier.js';
import { UpstreamUnavailable } from '../../src/domain/errors.js';
import { nationalPortalContract } from './national-portal.contract.js';

nationalPortalContract(
  'DVCQG adapter over its simulator',
  async () => {
    const sim = await startDvcqgSimulator({ port: 0, seed: 1 });
    const port = createDvcqgPortal({
      authUrl: sim.authUrl,
      apiUrl: sim.apiUrl,
      username: 'dvc-gateway',
      password: 'dvc-gateway-secret',
      dstcode: 'H26',
      madonvi: '000.00.00.H26',
      timeoutMs: 2_000,
    });
    let rejected: string[] = [];
    return {
      port,
      control: {
        unavailable: () => sim.setFaults({ down: 'unavailable' }),
        hang: () => sim.setFaults({ hangRate: 1 }),
        reject: (m) => {
          rejected = [...rejected, m];
          sim.setFaults({ rejectMaHoSo: rejected });
        },
        restore: () => {
          rejected = [];
          sim.resetFaults();
        },
        accepted: (m) => sim.history(m),
        progress: (m) => sim.progress(m) as ProgressItem[],
      },
      close: async () => {
        port.close();
        await sim.close();
      },
    };
  },
);

nationalPortalContract('FakeNationalPortal', async () => {
  const fake = new FakeNationalPortal();
  return {
    port: fake,
    control: {
      unavailable: () => fake.failNext(new UpstreamUnavailable('DVCQG answered HTTP 503', { upstream: 'dvcqg', reason: 'http_5xx' }), Infinity),
      hang: () => fake.hangNext(Infinity),
      reject: (m) => fake.rejectMaHoSo([m]),
      restore: () => {
        fake.clearFaults();
        fake.rejectMaHoSo([]);
      },
      accepted: (m) => fake.history(m),
      progress: (m) => fake.progress(m),
    },
    close: async () => undefined,
  };
});
