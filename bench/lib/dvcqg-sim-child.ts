/** The DVCQG simulator alone in a process (PORT, HOST), for measurements that must not share its CPU. */
import { startDvcqgSimulator } from '../../adapters/dvcqg/index.js';

const sim = await startDvcqgSimulator({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1', maxCalls: 1_000 });
// Nothing here reads the log of calls or the dossiers: keep them from growing.
setInterval(() => sim.reset(), 2_000).unref();
process.once('SIGTERM', () => void sim.close().then(() => process.exit(0)));
