/**
 * Faults and token behaviour of the simulators of registries behind NGSP: what can be set (at start, by `setFaults`, or by
 * `POST /_sim/faults`), how an update is checked, and the draw that picks each request's fault.
 */
import { seededRandom as prng } from '../seeded-random.js';

export interface NgspFaults {
  /** Delay before every protocol answer, ms: a plain setTimeout, so as precise as the event loop. Default 0. */
  latencyMs: number;
  /** Share of requests answered 500 or 503 with a JSON error body. Default 0. */
  errorRate: number;
  /** Share of requests never answered (until the client gives up or the simulator closes). Default 0. */
  hangRate: number;
  /** Share of requests whose connection is destroyed without an answer. Default 0. */
  resetRate: number;
  /** Share of requests answered 200 with a body that breaks the protocol (cut JSON, HTML, wrong shape). Default 0. */
  malformedRate: number;
  /** Share of requests answered 429 with `Retry-After`. Default 0. */
  rateLimitRate: number;
  /** Share of lookups answered 200 with a body of `hugeBytes` (a hostile or broken upstream). Default 0. */
  hugeRate: number;
  /** Size of those bodies, bytes. Default 3 MiB. */
  hugeBytes: number;
  /** Share of lookups refused 400 with an error body naming a person and an ID number. Default 0. */
  personalErrorRate: number;
  /** `Retry-After` of a 429, seconds. Default 1. */
  retryAfterSeconds: number;
  /**
   * Every protocol request's connection is destroyed unanswered, as a crashed upstream behind a
   * load balancer looks; the `/_sim/*` control endpoints keep answering so it can be undone. Default false.
   */
  down: boolean;
  /**
   * `expires_in` of new tokens, seconds (fractions allowed). `null` leaves `expires_in` out of the
   * answer; such tokens live 300 s, the lifetime the protocol assumes then. Default 3600.
   */
  tokenExpiresIn: number | null;
}

/** A change of faults. The rates are shares of protocol requests; together at most 1. */
export interface NgspFaultUpdate extends Partial<NgspFaults> {
  /** Revokes every token issued so far (once; not kept as state). */
  expireTokensNow?: boolean;
  /** Restarts the fault draw from this seed, for a repeatable sequence. */
  seed?: number;
}

export type FaultKind = 'hang' | 'reset' | 'rate_limited' | 'error' | 'malformed' | 'huge' | 'personal_error';

export const NO_FAULTS: Readonly<NgspFaults> = {
  latencyMs: 0,
  errorRate: 0,
  hangRate: 0,
  resetRate: 0,
  malformedRate: 0,
  rateLimitRate: 0,
  hugeRate: 0,
  hugeBytes: 3 * 1024 * 1024,
  personalErrorRate: 0,
  retryAfterSeconds: 1,
  down: false,
  tokenExpiresIn: 3600,
};

const RATES = ['hangRate', 'resetRate', 'rateLimitRate', 'errorRate', 'malformedRate', 'hugeRate', 'personalErrorRate'] as const;
const KIND_OF_RATE: Readonly<Record<(typeof RATES)[number], FaultKind>> = {
  hangRate: 'hang',
  resetRate: 'reset',
  rateLimitRate: 'rate_limited',
  errorRate: 'error',
  malformedRate: 'malformed',
  hugeRate: 'huge',
  personalErrorRate: 'personal_error',
};

/** Checks an update from code or from JSON; throws a TypeError naming the first bad field. */
export function checkFaultUpdate(update: unknown): NgspFaultUpdate {
  if (typeof update !== 'object' || update === null || Array.isArray(update)) throw new TypeError('faults must be an object');
  const known = new Set<string>([...Object.keys(NO_FAULTS), 'expireTokensNow', 'seed']);
  for (const [key, value] of Object.entries(update)) {
    if (!known.has(key)) throw new TypeError(`unknown fault "${key}"`);
    if (value === undefined) continue;
    const bad = (rule: string) => new TypeError(`"${key}" must be ${rule}`);
    if ((RATES as readonly string[]).includes(key)) {
      if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw bad('a number from 0 to 1');
    } else if (key === 'down' || key === 'expireTokensNow') {
      if (typeof value !== 'boolean') throw bad('true or false');
    } else if (key === 'tokenExpiresIn') {
      if (value !== null && (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value))) throw bad('null or a number of seconds');
    } else if (key === 'latencyMs') {
      if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) throw bad('a number of milliseconds');
    } else if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw bad('a whole number'); // retryAfterSeconds, seed, hugeBytes
    }
  }
  return update as NgspFaultUpdate;
}

/** The faults after an update; throws when the rates add up to more than 1. */
export function applyFaultUpdate(current: NgspFaults, update: NgspFaultUpdate): NgspFaults {
  const next = { ...current };
  for (const key of Object.keys(NO_FAULTS) as Array<keyof NgspFaults>) {
    if (update[key] !== undefined) (next as Record<keyof NgspFaults, unknown>)[key] = update[key];
  }
  const total = RATES.reduce((sum, rate) => sum + next[rate], 0);
  if (total > 1 + 1e-9) throw new TypeError(`the fault rates add up to ${total}, more than 1`);
  return next;
}

/** Draws each request's fault: one number against the rates stacked, so each rate is an exact share. */
export class FaultDraw {
  private random: () => number;

  constructor(seed: number) {
    this.random = prng(seed);
  }

  reseed(seed: number): void {
    this.random = prng(seed);
  }

  /** A number in [0, 1) from the seeded sequence, for picking among variants. */
  next(): number {
    return this.random();
  }

  fault(faults: NgspFaults): FaultKind | null {
    if (RATES.every((rate) => faults[rate] === 0)) return null;
    let r = this.random();
    for (const rate of RATES) {
      if (r < faults[rate]) return KIND_OF_RATE[rate];
      r -= faults[rate];
    }
    return null;
  }
}
