/**
 * The gateway as the benchmarks run it: `node --import tsx src/main.ts` in a child process, role
 * `all`, its own QUEUE_PREFIX, the test clients file (test/support KEYS), logging off.
 */
import { randomBytes } from 'node:crypto';
import { clientsFile } from '../../test/support/gateway.js';
import { startNodeChild, type NodeChild } from './child.js';

export { KEYS } from '../../test/support/gateway.js';

export interface GatewayChildOptions {
  redisUrl: string;
  prefix: string;
  /** More variables (upstream URLs, tuning); they win over the defaults set here. */
  env?: Record<string, string>;
  /** Node flags for the child, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
  nodeArgs?: string[];
}

export function benchPrefix(label: string): string {
  return `bench-${label}-${randomBytes(4).toString('hex')}`;
}

export function startGatewayChild(options: GatewayChildOptions): Promise<NodeChild> {
  return startNodeChild({
    script: 'src/main.ts',
    label: 'gateway',
    nodeArgs: options.nodeArgs ?? [],
    env: {
      GATEWAY_ROLE: 'all',
      REDIS_URL: options.redisUrl,
      QUEUE_PREFIX: options.prefix,
      GATEWAY_CLIENTS_FILE: clientsFile(),
      LOG_LEVEL: 'silent',
      SHUTDOWN_GRACE_MS: '3000',
      ...options.env,
    },
  });
}
