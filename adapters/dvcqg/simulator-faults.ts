/**
 * The simulator's fault settings: what can go wrong, how often, and a seeded random source so that a
 * test with faults behaves the same on every run.
 */

export interface DvcqgFaults {
  /** Share of requests answered HTTP 500 or 503 (half each) before being applied. Default 0. */
  errorRate: number;
  /** Delay before every answer, ms. Default 0. */
  latencyMs: number;
  /** Up to this much more delay, uniformly drawn, ms. Default 0. */
  latencyJitterMs: number;
  /** Share of requests never answered: the connection stays open until the client gives up. Default 0. */
  hangRate: number;
  /** Share of requests whose connection is destroyed without an answer. Default 0. */
  resetRate: number;
  /** Share of requests answered HTTP 200 with a truncated JSON or an HTML body. Default 0. */
  malformedRate: number;
  /** Share of requests answered HTTP 429 with `Retry-After`. Default 0. */
  rateLimitRate: number;
  /** The `Retry-After` of a 429, seconds. Default 1. */
  retryAfterSeconds: number;
  /** MaHoSo whose DongBoHoSoMC is refused with `rejectErrorCode` (a list, or a predicate when set in code). Default none. */
  rejectMaHoSo: readonly string[] | ((maHoSo: string) => boolean);
  /** error_code of those refusals. Default 9. */
  rejectErrorCode: number;
  /** message of those refusals. Default "Dữ liệu hồ sơ không hợp lệ". */
  rejectMessage: string;
  /** When not 0, every TraCuuHoSo is answered with this error_code (and `lookupMessage`), the rest works. Default 0. */
  lookupErrorCode: number;
  /** message of those answers. Default "Hệ thống tra cứu đang bận". */
  lookupMessage: string;
  /**
   * Refuse everything but /_sim: `reset` destroys each connection at once, `unavailable` answers 503.
   * `true` means `unavailable`. Default false.
   */
  down: false | true | 'reset' | 'unavailable';
  /** Share of calls applied (stored) and then answered HTTP 500, as a lost acknowledgement. Default 0. */
  failAfterApplyRate: number;
  /** Share of calls applied (stored) and answered only after `lateAnswerMs`, past a client's timeout. Default 0. */
  lateAnswerRate: number;
  /** How late those answers come, ms. Default 15000. */
  lateAnswerMs: number;
  /**
   * Share of requests answered by "something in front of the portal": HTTP 403, 404 or 408 (a third
   * each) with an HTML page and no portal JSON. Not applied. Default 0.
   */
  proxyPageRate: number;
  /** Share of requests answered HTTP 200 with a JSON body of `hugeAnswerBytes`. Not applied. Default 0. */
  hugeAnswerRate: number;
  /** Size of those answers, bytes. Default 2097152 (2 MiB). */
  hugeAnswerBytes: number;
  /** Every this many service calls (logins not counted), every session expires before the call; 0 never. Default 0. */
  expireSessionsEveryCalls: number;
  /** Life of a session from its login, ms; changing it applies to sessions already issued. Default 1800000. */
  sessionTtlMs: number;
  /** `number` answers `error_code: 0`; `string` answers `"00"` and `"3"`, as some portal versions do. Default number. */
  errorCodeFormat: 'number' | 'string';
}

export const NO_FAULTS: Readonly<DvcqgFaults> = Object.freeze({
  errorRate: 0,
  latencyMs: 0,
  latencyJitterMs: 0,
  hangRate: 0,
  resetRate: 0,
  malformedRate: 0,
  rateLimitRate: 0,
  retryAfterSeconds: 1,
  rejectMaHoSo: [],
  rejectErrorCode: 9,
  rejectMessage: 'Dữ liệu hồ sơ không hợp lệ',
  lookupErrorCode: 0,
  lookupMessage: 'Hệ thống tra cứu đang bận',
  down: false,
  failAfterApplyRate: 0,
  lateAnswerRate: 0,
  lateAnswerMs: 15_000,
  proxyPageRate: 0,
  hugeAnswerRate: 0,
  hugeAnswerBytes: 2 * 1024 * 1024,
  expireSessionsEveryCalls: 0,
  sessionTtlMs: 30 * 60_000,
  errorCodeFormat: 'number',
});

const RATES = ['errorRate', 'hangRate', 'resetRate', 'malformedRate', 'rateLimitRate', 'failAfterApplyRate', 'lateAnswerRate', 'proxyPageRate', 'hugeAnswerRate'] as const;
const DURATIONS = ['latencyMs', 'latencyJitterMs', 'retryAfterSeconds', 'sessionTtlMs', 'lateAnswerMs', 'hugeAnswerBytes', 'expireSessionsEveryCalls'] as const;

/** Merges `change` into `current`, or throws a RangeError naming the first bad field (as the 400 of /_sim/faults). */
export function mergeFaults(current: DvcqgFaults, change: Partial<DvcqgFaults>): DvcqgFaults {
  if (typeof change !== 'object' || change === null || Array.isArray(change)) throw new RangeError('faults must be an object');
  const known = new Set(Object.keys(NO_FAULTS));
  for (const key of Object.keys(change)) if (!known.has(key)) throw new RangeError(`unknown fault "${key}"`);
  for (const key of RATES) {
    const v = change[key];
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && v <= 1)) throw new RangeError(`${key} must be a number from 0 to 1`);
  }
  for (const key of DURATIONS) {
    const v = change[key];
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new RangeError(`${key} must be a number ≥ 0`);
  }
  const { rejectMaHoSo: reject, rejectErrorCode: code, rejectMessage: message, down, errorCodeFormat: format } = change;
  if (reject !== undefined && typeof reject !== 'function' && !(Array.isArray(reject) && reject.every((m) => typeof m === 'string'))) {
    throw new RangeError('rejectMaHoSo must be a list of MaHoSo');
  }
  if (code !== undefined && !(Number.isInteger(code) && code !== 0)) throw new RangeError('rejectErrorCode must be a non-zero integer');
  if (message !== undefined && typeof message !== 'string') throw new RangeError('rejectMessage must be a string');
  if (change.lookupErrorCode !== undefined && !Number.isInteger(change.lookupErrorCode)) throw new RangeError('lookupErrorCode must be an integer');
  if (change.lookupMessage !== undefined && typeof change.lookupMessage !== 'string') throw new RangeError('lookupMessage must be a string');
  if (down !== undefined && ![false, true, 'reset', 'unavailable'].includes(down)) {
    throw new RangeError('down must be false, true, "reset" or "unavailable"');
  }
  if (format !== undefined && format !== 'number' && format !== 'string') throw new RangeError('errorCodeFormat must be "number" or "string"');
  const merged = { ...current, ...change };
  if (Array.isArray(merged.rejectMaHoSo)) merged.rejectMaHoSo = [...(merged.rejectMaHoSo as string[])];
  return merged;
}

export function isRejected(faults: DvcqgFaults, maHoSo: string): boolean {
  const r = faults.rejectMaHoSo;
  return typeof r === 'function' ? r(maHoSo) : r.includes(maHoSo);
}

/** The faults as JSON can show them: a predicate becomes the string "<predicate>". */
export function describeFaults(faults: DvcqgFaults): Record<string, unknown> {
  return { ...faults, rejectMaHoSo: typeof faults.rejectMaHoSo === 'function' ? '<predicate>' : faults.rejectMaHoSo };
}

export { seededRandom } from '../shared/seeded-random.js';

export type DrawnFault = 'reset' | 'hang' | 'rate_limited' | 'http_500' | 'http_503' | 'malformed' | 'proxy_page' | 'huge_answer' | null;

/** One draw decides the fault of a request; rates are exclusive slices of [0, 1), earlier ones first. */
export function drawFault(faults: DvcqgFaults, random: () => number): DrawnFault {
  const r = random();
  let edge = 0;
  const slices: Array<[number, DrawnFault]> = [
    [faults.resetRate, 'reset'],
    [faults.hangRate, 'hang'],
    [faults.rateLimitRate, 'rate_limited'],
    [faults.errorRate / 2, 'http_500'],
    [faults.errorRate / 2, 'http_503'],
    [faults.malformedRate, 'malformed'],
    [faults.proxyPageRate, 'proxy_page'],
    [faults.hugeAnswerRate, 'huge_answer'],
  ];
  for (const [rate, fault] of slices) {
    edge += rate;
    if (r < edge) return fault;
  }
  return null;
}
