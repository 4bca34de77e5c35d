/**
 * Reading typed settings from an environment snapshot. Every problem is a ConfigError naming the
 * variable, which main.ts prints as the one line start-up stops with. `NAME_FILE` may stand for any
 * `NAME`: the value is read from that file (Docker/Kubernetes secrets), trailing newline trimmed.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_CIRCUIT, type ResilienceOptions } from './resilience/options.js';

export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

export class EnvReader {
  constructor(private readonly env: Env) {}

  /** The raw value, from NAME or NAME_FILE; undefined when neither is set (an empty value counts as unset). */
  raw(name: string): string | undefined {
    const direct = this.env[name];
    const file = this.env[`${name}_FILE`];
    if (direct !== undefined && direct !== '' && file) throw new ConfigError(name, `set both ${name} and ${name}_FILE; keep one`);
    if (file) {
      try {
        return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      } catch (e) {
        throw new ConfigError(`${name}_FILE`, `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
    }
    return direct === '' ? undefined : direct;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  int(name: string, fallback: number, bounds: { min?: number; max?: number } = {}): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value.trim())) throw new ConfigError(name, `must be a whole number, got "${value}"`);
    const n = Number(value.trim());
    if (bounds.min !== undefined && n < bounds.min) throw new ConfigError(name, `must be at least ${bounds.min}, got ${n}`);
    if (bounds.max !== undefined && n > bounds.max) throw new ConfigError(name, `must be at most ${bounds.max}, got ${n}`);
    return n;
  }

  number(name: string, fallback: number, bounds: { min?: number; max?: number } = {}): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const n = Number(value.trim());
    if (value.trim() === '' || !Number.isFinite(n)) throw new ConfigError(name, `must be a number, got "${value}"`);
    if (bounds.min !== undefined && n < bounds.min) throw new ConfigError(name, `must be at least ${bounds.min}, got ${n}`);
    if (bounds.max !== undefined && n > bounds.max) throw new ConfigError(name, `must be at most ${bounds.max}, got ${n}`);
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const v = value.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    throw new ConfigError(name, `must be true or false, got "${value}"`);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${value}"`);
    }
    return value as T;
  }

  url(name: string, fallback: string): string {
    const value = this.raw(name) ?? fallback;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new ConfigError(name, `must be an absolute URL, got "${value}"`);
    }
    if (!['http:', 'https:', 'redis:', 'rediss:'].includes(parsed.protocol)) {
      throw new ConfigError(name, `unsupported scheme ${parsed.protocol} in "${value}"`);
    }
    return value;
  }
}

/** Defaults of one upstream's resilience settings that differ between upstreams. */
export interface ResilienceDefaults {
  timeoutMs: number;
  maxConcurrent: number;
  /** Calls that may wait for a place in the bulkhead; 0 (refuse at once) unless given. */
  maxWaiting?: number;
  /** Circuit defaults; those of the sector sources (API.md) unless given. */
  circuit?: Omit<ResilienceOptions, 'timeoutMs' | 'maxConcurrent' | 'maxWaiting'>;
}

/**
 * The resilience settings of one upstream from its `PREFIX_` variables: `_TIMEOUT_MS`,
 * `_CIRCUIT_ERROR_PERCENT`, `_CIRCUIT_MIN_CALLS`, `_CIRCUIT_WINDOW_MS`, `_CIRCUIT_OPEN_MS`, `_CIRCUIT_TRIAL_CALLS`,
 * `_MAX_CONCURRENT`, `_MAX_WAITING`.
 */
export function readResilience(env: EnvReader, prefix: string, defaults: ResilienceDefaults): ResilienceOptions {
  const circuit = defaults.circuit ?? DEFAULT_CIRCUIT;
  return {
    timeoutMs: env.int(`${prefix}_TIMEOUT_MS`, defaults.timeoutMs, { min: 1, max: 600_000 }),
    errorThresholdPercent: env.number(`${prefix}_CIRCUIT_ERROR_PERCENT`, circuit.errorThresholdPercent, { min: 1, max: 100 }),
    volumeThreshold: env.int(`${prefix}_CIRCUIT_MIN_CALLS`, circuit.volumeThreshold, { min: 1 }),
    windowMs: env.int(`${prefix}_CIRCUIT_WINDOW_MS`, circuit.windowMs, { min: 100 }),
    openMs: env.int(`${prefix}_CIRCUIT_OPEN_MS`, circuit.openMs, { min: 100 }),
    halfOpenTrials: env.int(`${prefix}_CIRCUIT_TRIAL_CALLS`, circuit.halfOpenTrials, { min: 1, max: 1_000 }),
    maxConcurrent: env.int(`${prefix}_MAX_CONCURRENT`, defaults.maxConcurrent, { min: 1, max: 10_000 }),
    maxWaiting: env.int(`${prefix}_MAX_WAITING`, defaults.maxWaiting ?? 0, { min: 0, max: 100_000 }),
  };
}
