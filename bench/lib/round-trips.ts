/**
 * Redis round trips per delivered dossier (`npm run bench:sync -- --round-trips 500`): a gateway child
 * on a private redis-server, N dossiers with one progress item each pushed and delivered, every command
 * Redis ran seen through MONITOR. Commands a client sent are round trips (commands of one pipeline
 * counted each); commands run inside Lua scripts are reported apart, by script.
 */
import { createHash } from 'node:crypto';
import * as bullmqScripts from 'bullmq/dist/esm/scripts/index.js';
import { Redis } from 'ioredis';
import { startDvcqgSimulator } from '../../adapters/dvcqg/index.js';
import { ensureRedis } from '../../scripts/ensure-redis.js';
import { SYNC_COMMANDS_DIR, loadCommands } from '../../src/sync/scripts.js';
import { freePort } from '../../scripts/free-port.js';
import { RevisionTemplate, maHoSo } from './dossiers.js';
import { KEYS, benchPrefix, startGatewayChild } from './gateway-child.js';
import { closeTarget, httpTarget, send } from './http-client.js';
import { runLoad } from './load.js';

export interface RoundTrips {
  dossiers: number;
  /** Commands clients sent, per dossier, by command name (EVALSHA by script where known). */
  perDossier: Record<string, number>;
  totalPerDossier: number;
  /** Commands run inside scripts, per dossier. */
  inScriptsPerDossier: number;
  /** The same, by command name. */
  inScriptsByCommand: Record<string, number>;
}

export async function roundTrips(count: number): Promise<RoundTrips> {
  const redisHandle = await ensureRedis(`redis://127.0.0.1:${await freePort()}`);
  const monitorClient = new Redis(redisHandle.url, { maxRetriesPerRequest: null });
  const sim = await startDvcqgSimulator({ port: 0, seed: 3 });
  const prefix = benchPrefix('rt');
  const gateway = await startGatewayChild({ redisUrl: redisHandle.url, prefix, env: { DVCQG_AUTH_URL: sim.authUrl, DVCQG_API_URL: sim.apiUrl } });
  const target = httpTarget(gateway.url, 64);
  const template = new RevisionTemplate();
  const codes = Array.from({ length: count }, (_, i) => maHoSo('261130', i + 1));
  const sent = new Map<string, number>();
  let inScripts = 0;
  const inner = new Map<string, number>();
  // Scripts are called by SHA1: name ours and BullMQ's by the SHA1 of their text.
  const sha = (lua: string) => createHash('sha1').update(lua).digest('hex');
  const names = new Map<string, string>();
  for (const c of loadCommands(SYNC_COMMANDS_DIR)) names.set(sha(c.lua), c.name);
  for (const s of Object.values(bullmqScripts) as Array<{ name?: string; content?: string }>) {
    if (s.name && s.content) names.set(sha(s.content), `bullmq ${s.name}`);
  }
  try {
    // Let start-up traffic (script loads, BullMQ's first calls) pass before counting.
    await new Promise((r) => setTimeout(r, 1_500));
    const monitor = await monitorClient.monitor();
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      const name = String(args[0]).toUpperCase();
      if (source === 'lua') {
        inScripts++;
        inner.set(name, (inner.get(name) ?? 0) + 1);
        return;
      }
      const key = name === 'EVALSHA' ? `EVALSHA ${names.get(String(args[1])) ?? String(args[1]).slice(0, 8)}` : name;
      sent.set(key, (sent.get(key) ?? 0) + 1);
    });
    await new Promise((r) => setTimeout(r, 200));
    await runLoad({
      total: count,
      concurrency: 64,
      maxMs: 120_000,
      task: async (i) => (await send(target, 'PUT', `/v1/dossiers/${codes[i]}`, { authorization: `Bearer ${KEYS.sync}`, 'content-type': 'application/json' }, template.json(codes[i]!))).status,
    });
    const deadline = Date.now() + 120_000;
    while (codes.some((m) => sim.progress(m).length === 0)) {
      if (Date.now() > deadline) throw new Error('round trips: deliveries did not finish within 120 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    // The last completions are recorded just after the portal's answer.
    await new Promise((r) => setTimeout(r, 1_000));
    monitor.disconnect();
  } finally {
    closeTarget(target);
    await gateway.stop();
    await sim.close();
    monitorClient.disconnect();
    await redisHandle.stop();
  }
  const perDossier: Record<string, number> = {};
  let total = 0;
  for (const [k, v] of [...sent].sort((a, b) => b[1] - a[1])) {
    perDossier[k] = Number((v / count).toFixed(2));
    total += v;
  }
  const inScriptsByCommand: Record<string, number> = {};
  for (const [k, v] of [...inner].sort((a, b) => b[1] - a[1])) inScriptsByCommand[k] = Number((v / count).toFixed(2));
  return { dossiers: count, perDossier, totalPerDossier: Number((total / count).toFixed(2)), inScriptsPerDossier: Number((inScripts / count).toFixed(1)), inScriptsByCommand };
}
