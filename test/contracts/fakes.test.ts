/** What the fakes offer beyond their ports' contracts: the knobs and readbacks unit tests rely on. */
import { describe, expect, it } from 'vitest';
import { sampleDossier, sampleProgress } from '../../adapters/dvcqg/fixtures/index.js';
import {
  FakeBusinessRegistry,
  FakeCitizenRegistry,
  FakeNationalPortal,
  InMemoryAuditLog,
  fakeBusinessesFromFixtures,
  fakeCitizensFromFixtures,
} from '../../adapters/fake/index.js';
import { UpstreamRejected, UpstreamTimeout, UpstreamUnavailable } from '../../src/domain/errors.js';
import { PURPOSE, failure } from './support.js';

const M = '000.00.01.H26-261129-0001';
const unavailable = () => new UpstreamUnavailable('down', { upstream: 'dvcqg', reason: 'http_5xx' });

describe('FakeNationalPortal', () => {
  it('can be tampered with like the simulator: a dossier forgotten, a field changed', async () => {
    const portal = new FakeNationalPortal();
    await portal.syncDossier(sampleDossier(M), { knownToPortal: false });
    expect(portal.tamperDossier(M, { TrangThaiHoSo: 9, GhiChu: null })?.TrangThaiHoSo).toBe(9);
    expect((await portal.findDossier(M))?.TrangThaiHoSo).toBe(9);
    expect(portal.forgetDossier(M)).toBe(true);
    expect(await portal.findDossier(M)).toBeNull();
    expect(portal.tamperDossier(M, { TrangThaiHoSo: 2 })).toBeUndefined();
  });

  it('fails the next calls as armed, in order, then answers again', async () => {
    const portal = new FakeNationalPortal();
    const rejected = new UpstreamRejected('no', { upstream: 'dvcqg', upstreamCode: '9', upstreamMessage: null });
    portal.failNext(unavailable(), 2);
    portal.failNext(rejected);
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push(await portal.findDossier(M).catch((e: Error) => e));
    expect(outcomes).toEqual([expect.any(UpstreamUnavailable), expect.any(UpstreamUnavailable), rejected, null]);
    expect(portal.calls().map((c) => c.outcome)).toEqual(['upstream_unavailable', 'upstream_unavailable', 'upstream_rejected', 'ok']);
  });

  it('refuses more than 10 steps with upstreamCode 2, and records history and calls', async () => {
    const portal = new FakeNationalPortal();
    await portal.syncDossier(sampleDossier(M), { knownToPortal: true });
    await portal.syncDossier(sampleDossier(M, { TrangThaiHoSo: 4 }), { knownToPortal: false });
    const items = Array.from({ length: 11 }, (_, i) => sampleProgress(M, `202611291000${String(i).padStart(2, '0')}`, 4));
    const error = await failure(portal.updateProgress(items));
    expect((error as UpstreamRejected).details.upstreamCode).toBe('2');
    expect(portal.history(M).map((s) => [s.seq, s.isUpdating, s.dossier.TrangThaiHoSo])).toEqual([
      [1, 'False', 2],
      [2, 'True', 4],
    ]);
    expect(portal.calls().map((c) => [c.method, c.outcome])).toEqual([
      ['syncDossier', 'ok'],
      ['syncDossier', 'ok'],
      ['updateProgress', 'upstream_rejected'],
    ]);
  });

  it('rejects the dossiers named until the set is replaced; a hung call without a signal times out', async () => {
    const portal = new FakeNationalPortal({ timeoutMs: 20 });
    portal.rejectMaHoSo([M]);
    expect(await failure(portal.syncDossier(sampleDossier(M), { knownToPortal: false }))).toBeInstanceOf(UpstreamRejected);
    portal.rejectMaHoSo([]);
    await portal.syncDossier(sampleDossier(M), { knownToPortal: false });
    portal.hangNext();
    expect(await failure(portal.findDossier(M))).toBeInstanceOf(UpstreamTimeout);
    portal.reset();
    expect(await portal.findDossier(M)).toBeNull();
  });
});

describe('fake registries', () => {
  it('record who asked for what, and fail as armed', async () => {
    const citizens = new FakeCitizenRegistry(fakeCitizensFromFixtures());
    const businesses = new FakeBusinessRegistry(fakeBusinessesFromFixtures());
    const [first] = fakeCitizensFromFixtures();
    citizens.failNext(unavailable());
    expect(await failure(citizens.findCitizen(first!.query, PURPOSE))).toBeInstanceOf(UpstreamUnavailable);
    expect(await citizens.findCitizen(first!.query, PURPOSE)).not.toBeNull();
    expect(citizens.lookups()).toEqual([
      { query: first!.query, purpose: PURPOSE },
      { query: first!.query, purpose: PURPOSE },
    ]);
    expect(await businesses.findBusiness('0100233488', PURPOSE)).not.toBeNull();
    expect(businesses.lookups()).toEqual([{ query: '0100233488', purpose: PURPOSE }]);
  });
});

describe('InMemoryAuditLog', () => {
  it('stamps recordings with the clock it is given, never going back', async () => {
    let now = Date.parse('2026-11-29T09:00:00.000Z');
    const log = new InMemoryAuditLog(() => now);
    const entry = (subject: string) => ({ at: '', client: 'c', officer: 'o', dossierCode: M, source: 'dancu', subject, outcome: 'found' as const, status: 200, latencyMs: 1 });
    await log.record(entry('a'));
    now -= 60_000;
    await log.record(entry('b'));
    now += 120_000;
    await log.record(entry('c'));
    const subjects = async (from: string, to: string) => (await log.query({ limit: 10, from, to })).items.map((e) => e.subject);
    expect(await subjects('2026-11-29T09:00:00.000Z', '2026-11-29T09:00:00.000Z')).toEqual(['b', 'a']);
    expect(await subjects('2026-11-29T09:00:00.001Z', '2026-11-29T09:01:00.000Z')).toEqual(['c']);
  });
});
