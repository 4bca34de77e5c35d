/** The process entry point: load configuration, start the gateway, stop it cleanly on SIGTERM/SIGINT. */
import { ConfigError, loadConfig } from './config.js';
import { startGateway } from './gateway.js';
import { createLogger } from './logger.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`dvc-gateway: configuration error: ${e.message}`);
      process.exit(78);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel);
  let gateway;
  try {
    gateway = await startGateway(config, { logger });
  } catch (e) {
    // Some settings can only be checked against the servers they name (a Sentinel master's name, WAITAOF).
    if (e instanceof ConfigError) {
      console.error(`dvc-gateway: configuration error: ${e.message}`);
      process.exit(78);
    }
    throw e;
  }
  /** Past the deliveries' grace, a shutdown that still waits (a store that stopped answering) is cut short. */
  const hardStopMs = config.sync.shutdownGraceMs + 15_000;
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'signal received');
    setTimeout(() => {
      logger.error({ waitedMs: hardStopMs }, 'shutdown did not finish in time: exiting; unfinished deliveries are resumed by another worker');
      process.exit(1);
    }, hardStopMs).unref();
    gateway
      .stop()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ err }, 'unclean shutdown');
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
}

main().catch((err: unknown) => {
  console.error(`dvc-gateway: failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
