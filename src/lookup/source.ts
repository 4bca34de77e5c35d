/**
 * What a sector source is to the core: a declarative description that its adapter folder exports
 * (adapters/<folder>/source.ts) and adapters/sources.ts lists. The core loops over that list for
 * configuration, guards, metrics, the ops upstream list, routes, the audit, the OpenAPI document,
 * the dashboard's labels, the simulators and the test helpers; it never imports a source by name.
 */
import type { Logger } from 'pino';
import type { EnvReader } from '../config-env.js';
import type { CallContext } from '../ports/call-context.js';
import type { LookupPurpose } from '../ports/registries.js';
import type { ResilienceOptions } from '../resilience/options.js';

/** A query parameter as given: a string, or a list when it was repeated (the parser says why that is wrong). */
export type RawQueryValue = string | string[] | undefined;

/** Settings every source reads from its `PREFIX_` variables, with what is its own in `options`. */
export interface SourceSettings<Options = unknown> {
  resilience: ResilienceOptions;
  /** Seconds an answer may be cached in Redis; 0 caches nothing. */
  cacheTtlSeconds: number;
  options: Options;
}

/** Settings shared by every source, read once by src/config.ts. */
export interface SharedSourceSettings {
  /** The gateway's subsystem id (`XROAD_CLIENT`). */
  xroadClient: string;
}

/** One lookup after its identifier and query passed their rules. */
export interface ParsedLookup<Request> {
  request: Request;
  /** Key of the answer in the cache and of the single flight; hash it when it would hold personal data. */
  cacheKey: string;
}

/** The source's registry as the core calls it: null when the upstream holds no such record. */
export interface SourceRegistry<Request, Answer> {
  find(request: Request, purpose: LookupPurpose, context?: CallContext): Promise<Answer | null>;
  close(): void;
}

/** A query parameter of the route, for the OpenAPI document. */
export interface SourceQueryParameter {
  name: string;
  required: boolean;
  description: string;
  pattern?: string;
}

/** A simulator as the simulators script and the test helpers drive it. */
export interface SourceSimulator {
  url: string;
  close(): Promise<void>;
}

export interface SectorSource<Options = unknown, Request = unknown, Answer extends object = object, Sim extends SourceSimulator = SourceSimulator> {
  /** Stable name: the `source` field of answers and audit entries, the upstream's name in ops and metrics. */
  readonly name: string;
  /** What it is, e.g. `citizen-registry`; the `kind` of `/v1/ops/upstreams`. */
  readonly kind: string;
  readonly label: { vi: string; en: string };
  /** Upper-case prefix of its variables (`HOTICH` → `HOTICH_URL`, `HOTICH_TIMEOUT_MS`, …). */
  readonly envPrefix: string;
  readonly route: {
    /** Route template, OpenAPI style: `/v1/birth-registrations/{SoDinhDanh}`. */
    path: string;
    /** Name of the identifier's path parameter (`SoDinhDanh`), also the `path` of its field errors. */
    subject: string;
    subjectDescription: string;
    subjectExample: string;
    query?: readonly SourceQueryParameter[];
    summary: string;
  };
  /** JSON Schema of the answer (an object with `$id`), for the OpenAPI document and tests. */
  readonly answerSchema: Readonly<Record<string, unknown>>;
  /** Reads its settings; every problem is a ConfigError naming the variable. */
  configure(env: EnvReader, shared: SharedSourceSettings): SourceSettings<Options>;
  /** Checks identifier then query; throws ValidationFailed (`invalid_identifier`, `invalid_query`). */
  parse(subject: string, query: Readonly<Record<string, RawQueryValue>>): ParsedLookup<Request>;
  /** Builds the registry; `timeoutMs` is the source's own deadline. */
  create(options: Options, common: { timeoutMs: number; logger: Logger }): Promise<SourceRegistry<Request, Answer>>;
  readonly simulator: {
    /** Port of `npm run simulators` and of the default URL. */
    defaultPort: number;
    /** `generate`: also answer made-up records for valid identifiers it does not hold (demo, benchmarks), where the simulator can. */
    start(options: { port: number; host?: string; seed?: number; generate?: boolean }): Promise<Sim>;
    /** The variables that point the gateway at this simulator. */
    env(sim: Sim): Record<string, string>;
  };
}

/**
 * The list's element type: a source whatever its own types (methods are bivariant in their
 * parameters, so every SectorSource<O, R, A, S> fits; only the source itself meets its own types).
 */
export type AnySectorSource = SectorSource;
