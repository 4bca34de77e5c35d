/**
 * Every Prometheus family the gateway exports (shared/API.md "Operations"). Labels hold route
 * templates and upstream names, never identifiers. Queue gauges and sync lag are collected on
 * scrape from Redis (see collectors registered in main.ts), not kept by hand.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** How long one family's collector may take at a scrape before its last reading is shown instead. */
const COLLECT_TIMEOUT_MS = 1_000;

export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'gateway_http_requests_total',
    help: 'HTTP requests answered, by route template, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'gateway_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route template and method',
    labelNames: ['route', 'method'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly upstreamRequests = new Counter({
    name: 'gateway_upstream_requests_total',
    help: 'Calls to upstreams by outcome: success, failure, timeout, rejected (refused payload), short_circuit (open circuit or full bulkhead)',
    labelNames: ['upstream', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly upstreamDuration = new Histogram({
    name: 'gateway_upstream_request_duration_seconds',
    help: 'Duration of calls that reached an upstream',
    labelNames: ['upstream'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly circuitState = new Gauge({
    name: 'gateway_circuit_state',
    help: 'Circuit breaker state per upstream: 0 closed, 1 half-open, 2 open',
    labelNames: ['upstream'] as const,
    registers: [this.registry],
  });

  readonly circuitTransitions = new Counter({
    name: 'gateway_circuit_transitions_total',
    help: 'Circuit breaker state changes per upstream, by the state entered',
    labelNames: ['upstream', 'state'] as const,
    registers: [this.registry],
  });

  readonly syncOutcomes = new Counter({
    name: 'gateway_sync_revisions_total',
    help: 'Dossier revisions received, by outcome (accepted, duplicate, stale)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly deliveries = new Counter({
    name: 'gateway_sync_deliveries_total',
    help: 'Portal deliveries by kind (dossier, progress) and result (delivered, retry, dead)',
    labelNames: ['kind', 'result'] as const,
    registers: [this.registry],
  });

  readonly directDeliveries = new Counter({
    name: 'gateway_sync_direct_deliveries_total',
    help: 'Deliveries started by the accepting process without a queued job, by how they ended (completed, failed, queued: the rest went to the queue)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly lookupCache = new Counter({
    name: 'gateway_lookup_cache_total',
    help: 'Lookup cache use by source and result (hit, miss, shared)',
    labelNames: ['source', 'result'] as const,
    registers: [this.registry],
  });

  readonly auditClosingsUnsent = new Gauge({
    name: 'gateway_audit_closings_unsent',
    help: 'Lookup audit records whose closing Redis has not taken yet, kept in this process and tried again every second',
    registers: [this.registry],
  });

  readonly auditRecordsSwept = new Counter({
    name: 'gateway_audit_records_swept_total',
    help: 'Lookup audit records left open by a gateway process that ended, closed by this one with outcome unknown',
    registers: [this.registry],
  });

  readonly collectFailures = new Counter({
    name: 'gateway_metrics_collect_failures_total',
    help: 'Scrapes at which a family could not be read now (its store down or slow) and its last reading was shown, or none',
    labelNames: ['family'] as const,
    registers: [this.registry],
  });

  readonly httpConnectionsShed = new Counter({
    name: 'gateway_http_connections_shed_total',
    help: 'Idle client connections closed to make room for new ones (near HTTP_MAX_CONNECTIONS)',
    registers: [this.registry],
  });

  readonly httpConnectionsRefused = new Counter({
    name: 'gateway_http_connections_refused_total',
    help: 'Client connections refused at HTTP_MAX_CONNECTIONS (every connection busy)',
    registers: [this.registry],
  });

  private openConnections: () => number = () => 0;

  /** Where gateway_http_connections reads the number of open client connections. */
  onHttpConnections(read: () => number): void {
    this.openConnections = read;
  }

  readonly reconcileChecks = new Counter({
    name: 'gateway_reconcile_checks_total',
    help: "Checks of a delivered dossier against the portal's copy, by outcome (matched, drifted, failed)",
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor(options: { defaults?: boolean } = {}) {
    // Every outcome is exported from the start, at 0, so a rate over it exists before the first check.
    for (const outcome of ['matched', 'drifted', 'failed']) this.reconcileChecks.inc({ outcome }, 0);
    const openConnections = () => this.openConnections();
    new Gauge({
      name: 'gateway_http_connections',
      help: 'Client connections open now',
      registers: [this.registry],
      collect(this: Gauge) {
        this.set(openConnections());
      },
    });
    if (options.defaults !== false) {
      collectDefaultMetrics({ register: this.registry, prefix: 'gateway_' });
      // prom-client names these totals with a counter's `_total` suffix although they are gauges, which
      // Prometheus' linter (promtool check metrics) refuses; the same figures by type remain
      // (gateway_nodejs_active_handles{type} and so on): their sum is the total.
      for (const name of ['gateway_nodejs_active_handles_total', 'gateway_nodejs_active_requests_total', 'gateway_nodejs_active_resources_total']) {
        this.registry.removeSingleMetric(name);
      }
    }
  }

  /** The last text each family rendered, served when its collector cannot answer now. */
  private readonly lastGood = new Map<string, string>();

  /**
   * The exposition text, answered whether or not the store answers: each family's collector gets
   * `timeoutMs`; one that fails or takes longer (Redis down, PostgreSQL down) is shown as its last good
   * reading, or left out if it never had one, and counted in gateway_metrics_collect_failures_total.
   */
  async render(timeoutMs = COLLECT_TIMEOUT_MS): Promise<string> {
    const names = this.registry.getMetricsAsArray().map((m) => m.name);
    const texts = await Promise.all(
      names.map(async (name) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          const text = await Promise.race([
            this.registry.getSingleMetricAsString(name),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error(`no reading within ${timeoutMs} ms`)), timeoutMs);
            }),
          ]);
          this.lastGood.set(name, text);
          return text;
        } catch {
          this.collectFailures.inc({ family: name });
          return this.lastGood.get(name) ?? null;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return `${texts.filter((t): t is string => t !== null).join('\n\n')}\n`;
  }
}
