/**
 * Moves every connection to the new master as soon as a Sentinel announces `+switch-master`.
 *
 * Without this a connection only notices a failover when its socket breaks (a crashed master) or when the
 * old master, still up, is turned into a replica and refuses writes (READONLY), which Sentinel does only
 * several seconds later: meanwhile writes would go to a master that is no longer the one. ioredis's own
 * `failoverDetector` does this too, but a switch announced while a connection is re-resolving the master
 * ends that connection for good; here a connection is only told to reconnect when it is connected.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisSentinelConfig } from './ha-config.js';

const CHANNEL = '+switch-master';
/** After a switch, connections are checked this long for having landed on the old master again. */
const SETTLE_MS = 15_000;
const CHECK_EVERY_MS = 250;

function samePort(client: Redis, host: string, port: number): boolean {
  const stream = (client as unknown as { stream?: { remoteAddress?: string; remotePort?: number } }).stream;
  if (!stream?.remotePort) return true;
  const remote = (stream.remoteAddress ?? '').replace(/^::ffff:/, '');
  return stream.remotePort === port && (remote === host || remote === '' || host === '');
}

export class SentinelWatch {
  private readonly clients = new Set<Redis>();
  private readonly subscribers: Redis[] = [];
  private lastSwitch = '';
  private settleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: RedisSentinelConfig,
    private readonly logger: Logger,
  ) {}

  start(): void {
    for (const { host, port } of this.config.sentinels) {
      const sub = new Redis({
        host,
        port,
        ...(this.config.password === undefined ? {} : { password: this.config.password }),
        connectionName: 'gateway-sentinel-watch',
        maxRetriesPerRequest: null,
        enableReadyCheck: false,
        retryStrategy: (times) => Math.min(times * 200, 2_000),
      });
      sub.on('error', () => undefined);
      sub.subscribe(CHANNEL).catch(() => undefined);
      sub.on('message', (channel: string, message: string) => {
        if (channel === CHANNEL) this.onSwitch(message);
      });
      this.subscribers.push(sub);
    }
  }

  /** Follows `client` (and every duplicate made of it, such as BullMQ's blocking connections) until it ends. */
  watch(client: Redis): void {
    this.clients.add(client);
    client.once('end', () => this.clients.delete(client));
    const duplicate = client.duplicate.bind(client);
    client.duplicate = (...args: Parameters<Redis['duplicate']>) => {
      const copy = duplicate(...args);
      this.watch(copy);
      return copy;
    };
  }

  close(): void {
    if (this.settleTimer) clearInterval(this.settleTimer);
    for (const sub of this.subscribers) sub.disconnect();
  }

  private onSwitch(message: string): void {
    // `<name> <old-ip> <old-port> <new-ip> <new-port>`; every Sentinel announces it, so handle it once.
    const [name, , , host, portText] = message.split(' ');
    if (name !== this.config.masterName || !host || !portText) return;
    if (message === this.lastSwitch) return;
    this.lastSwitch = message;
    const port = Number(portText);
    this.logger.warn({ master: `${host}:${port}` }, 'Redis failover announced by Sentinel: moving connections to the new master');
    const moveStragglers = () => {
      for (const client of this.clients) {
        // Only a connected client is told to reconnect; one already reconnecting asks the Sentinels anyway.
        if (client.status === 'ready' && !samePort(client, host, port)) client.disconnect(true);
      }
    };
    moveStragglers();
    // A Sentinel that has not heard of the switch yet may send a reconnecting client back to the old master.
    if (this.settleTimer) clearInterval(this.settleTimer);
    const until = Date.now() + SETTLE_MS;
    this.settleTimer = setInterval(() => {
      moveStragglers();
      if (Date.now() > until && this.settleTimer) clearInterval(this.settleTimer);
    }, CHECK_EVERY_MS);
    this.settleTimer.unref();
  }
}
