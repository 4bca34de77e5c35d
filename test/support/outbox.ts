/**
 * Outbox entries written as the sync scripts write them (docs/outbox.md "Entry fields"), for tests
 * of what the drainer's handlers make of them without going through a delivery.
 */
import type { Redis } from 'ioredis';
import type { PortalDossier } from '../../src/domain/dossier.js';
import { outboxKey } from '../../src/records/outbox-events.js';
import { packDossier } from '../../src/sync/compression.js';

export class OutboxWriter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  accepted(dossier: PortalDossier, revision: number, progress: Array<[string, number]> = []): Promise<string | null> {
    return this.redis.xadd(
      outboxKey(this.prefix), '*',
      't', 'accepted', 'm', dossier.MaHoSo, 'r', String(revision), 'at', String(Date.now()),
      'x', packDossier(JSON.stringify(dossier)), 'g', JSON.stringify(progress),
    );
  }

  event(type: string, maHoSo: string, revision: number, detail?: unknown): Promise<string | null> {
    const fields = ['t', type, 'm', maHoSo, 'r', String(revision), 'at', String(Date.now())];
    if (detail !== undefined) fields.push('d', JSON.stringify(detail));
    return this.redis.xadd(outboxKey(this.prefix), '*', ...fields);
  }

  /** accepted then delivered: a dossier the portal acknowledged at `revision`. */
  async delivered(dossier: PortalDossier, revision: number): Promise<void> {
    await this.accepted(dossier, revision);
    await this.event('delivered', dossier.MaHoSo, revision);
  }
}
