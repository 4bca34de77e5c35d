/**
 * Fault injection of the population DB simulator. One draw of a seeded generator per call decides which
 * fault, if any, hits it: the rates share [0, 1) in a fixed order, so a seed replays the same run.
 */

export interface DancuFaults {
  /** Share of calls answered HTTP `errorStatus` with a plain-text body and no Fault: the upstream, or a proxy before it, failing. Default 0. */
  errorRate: number;
  /** Status of those answers, 500-599. Default 503. */
  errorStatus: number;
  /** Share answered 429 with `Retry-After: 1`. Default 0. */
  rateLimitRate: number;
  /** Share answered with a SOAP Fault (`soap:Server`) and HTTP 500. Default 0. */
  faultRate: number;
  /** Share answered 200 with an envelope cut in half. Default 0. */
  malformedRate: number;
  /** Share never answered: held open until the client gives up or the simulator closes. Default 0. */
  hangRate: number;
  /** Share whose connection is reset (TCP RST) instead of answered. Default 0. */
  resetRate: number;
  /** Added before every answer, ms. Default 0. */
  latencyMs: number;
  /** Every SOAP call's connection is dropped at once, as if the upstream were unreachable. Default false. */
  down: boolean;
  /** Share answered 200 with an envelope of `hugeBytes` (a hostile or broken upstream). Default 0. */
  hugeRate: number;
  /** Size of those answers, bytes. Default 3 MiB. */
  hugeBytes: number;
  /** Share answered with a SOAP Fault whose faultstring names the citizen asked for and their ID number. Default 0. */
  personalFaultRate: number;
  /** Share answered with a DTD declaring an external entity (XXE) that the answer uses. Default 0. */
  dtdRate: number;
  /** Answers write every non-ASCII character as a numeric character reference (`&#7877;`, `&#x1EC5;`). Default false. */
  characterReferences: boolean;
}

export const NO_FAULTS: Readonly<DancuFaults> = {
  errorRate: 0,
  errorStatus: 503,
  rateLimitRate: 0,
  faultRate: 0,
  malformedRate: 0,
  hangRate: 0,
  resetRate: 0,
  latencyMs: 0,
  down: false,
  hugeRate: 0,
  hugeBytes: 3 * 1024 * 1024,
  personalFaultRate: 0,
  dtdRate: 0,
  characterReferences: false,
};

export type InjectedFault = 'reset' | 'hang' | 'error' | 'rate_limit' | 'fault' | 'malformed' | 'huge' | 'personal_fault' | 'dtd';

const RATES: ReadonlyArray<[keyof DancuFaults, InjectedFault]> = [
  ['resetRate', 'reset'],
  ['hangRate', 'hang'],
  ['errorRate', 'error'],
  ['rateLimitRate', 'rate_limit'],
  ['faultRate', 'fault'],
  ['malformedRate', 'malformed'],
  ['hugeRate', 'huge'],
  ['personalFaultRate', 'personal_fault'],
  ['dtdRate', 'dtd'],
];

/** The fault a draw in [0, 1) falls on, or null for a normal answer. */
export function pickFault(faults: DancuFaults, draw: number): InjectedFault | null {
  let edge = 0;
  for (const [rate, fault] of RATES) {
    edge += faults[rate] as number;
    if (draw < edge) return fault;
  }
  return null;
}

/** Validated faults; throws naming the first bad field. */
export function checkFaults(faults: DancuFaults): DancuFaults {
  for (const key of Object.keys(faults)) {
    if (!(key in NO_FAULTS)) throw new Error(`unknown fault "${key}"`);
  }
  for (const [rate] of RATES) {
    const v = faults[rate];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new Error(`${rate} must be a number from 0 to 1`);
  }
  const total = RATES.reduce((sum, [rate]) => sum + (faults[rate] as number), 0);
  if (total > 1 + 1e-9) throw new Error(`the rates add up to ${total}; at most 1`);
  if (!Number.isInteger(faults.errorStatus) || faults.errorStatus < 500 || faults.errorStatus > 599) throw new Error('errorStatus must be 500-599');
  if (typeof faults.latencyMs !== 'number' || !(faults.latencyMs >= 0 && faults.latencyMs <= 600_000)) throw new Error('latencyMs must be 0-600000');
  if (typeof faults.down !== 'boolean') throw new Error('down must be true or false');
  if (typeof faults.characterReferences !== 'boolean') throw new Error('characterReferences must be true or false');
  if (!Number.isInteger(faults.hugeBytes) || faults.hugeBytes < 1 || faults.hugeBytes > 64 * 1024 * 1024) throw new Error('hugeBytes must be 1 to 67108864');
  return { ...faults };
}

export { seededRandom as createRandom } from '../shared/seeded-random.js';
