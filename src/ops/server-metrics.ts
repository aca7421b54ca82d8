import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ProvenanceStore } from '../connectors/provenance/provenance-store';
import type { StoreCallObserver } from '../connectors/store-call';
import { withDeadline } from '../connectors/store-call';
import type { IngestObserver } from '../ingest/ingest-batch';
import type { ParkedReleaseObserver } from '../ingest/parked-events';
import type { Logger } from '../logger';

/** How long a scrape waits for the queue-depth counts before it answers without them (ms). */
const QUEUE_COUNT_TIMEOUT_MS = 2000;

/**
 * The server's Prometheus metrics, on a registry of its own (two servers in one process, as in
 * tests, do not share counters). Names follow Prometheus conventions: `_total` counters,
 * `_seconds` histograms, a `provml_` prefix.
 */
export class ServerMetrics implements StoreCallObserver, IngestObserver, ParkedReleaseObserver {
  readonly registry = new Registry();
  private readonly ingestEvents: Counter<'outcome'>;
  private readonly ingestBatches: Histogram<'outcome'>;
  private readonly rejected: Counter<'code'>;
  private readonly storeCalls: Histogram<'store' | 'operation'>;
  private readonly storeErrors: Counter<'store' | 'operation' | 'code'>;
  private readonly httpRequests: Counter<'route' | 'status'>;
  private readonly inFlight: Gauge<'route'>;
  private readonly subscriptions: Gauge;
  // Read by the gauges' collect callbacks, which prom-client calls with the gauge as `this`.
  private readonly sources: { subscriptionCount: (() => number) | null; queueStore: ProvenanceStore | null } = {
    subscriptionCount: null,
    queueStore: null,
  };

  constructor(private readonly log: Logger) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'provml_' });
    this.ingestEvents = new Counter({
      name: 'provml_ingest_events_total',
      help:
        'Ingest events by outcome (accepted, duplicate, rejected, parked); rate() gives events per second. ' +
        'A parked event counts as parked when it arrives and as accepted (duplicate, rejected) when its release writes it',
      labelNames: ['outcome'],
      registers,
    });
    this.ingestBatches = new Histogram({
      name: 'provml_ingest_batch_seconds',
      help: 'Time to validate, resolve and write one ingest batch (ok: a result was returned; error: the batch failed whole)',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.rejected = new Counter({
      name: 'provml_ingest_rejected_total',
      help: 'Rejected ingest events by issue code (BAD_USER_INPUT, UNKNOWN_WORKFLOW, ...); whole batches refused count under their error code',
      labelNames: ['code'],
      registers,
    });
    this.storeCalls = new Histogram({
      name: 'provml_store_call_seconds',
      help: 'Latency of calls to each store (provenance, and each store of the registry by id)',
      labelNames: ['store', 'operation'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    this.storeErrors = new Counter({
      name: 'provml_store_call_errors_total',
      help: 'Failed store calls by store, operation and error code',
      labelNames: ['store', 'operation', 'code'],
      registers,
    });
    this.httpRequests = new Counter({
      name: 'provml_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'status'],
      registers,
    });
    this.inFlight = new Gauge({
      name: 'provml_http_requests_in_flight',
      help: 'HTTP requests being handled now, by route (what a drain waits for)',
      labelNames: ['route'],
      registers,
    });
    const sources = this.sources;
    const warn = (msg: string, fields: Record<string, unknown>) => this.log.warn(msg, fields);
    this.subscriptions = new Gauge({
      name: 'provml_active_subscriptions',
      help: 'GraphQL subscriptions open on this replica',
      registers,
      collect() {
        if (sources.subscriptionCount) this.set(sources.subscriptionCount());
      },
    });
    new Gauge({
      name: 'provml_queue_depth',
      help: 'Jobs waiting in the work queues in PostgreSQL (shared by every replica): publish outbox, extraction jobs',
      labelNames: ['queue', 'state'],
      registers,
      // Counted at scrape time; a store that does not answer leaves the gauge out, not the scrape.
      async collect() {
        const store = sources.queueStore;
        if (!store) return;
        try {
          const [outbox, jobs] = await withDeadline('provenance', QUEUE_COUNT_TIMEOUT_MS, () =>
            Promise.all([store.publishOutboxCounts(), store.extractionJobCounts()]),
          );
          this.reset();
          this.set({ queue: 'publish_outbox', state: 'pending' }, outbox.pending);
          this.set({ queue: 'extraction_jobs', state: 'pending' }, jobs.PENDING);
          this.set({ queue: 'extraction_jobs', state: 'running' }, jobs.RUNNING);
          this.set({ queue: 'extraction_jobs', state: 'failed' }, jobs.FAILED);
        } catch (err) {
          this.reset();
          warn('queue depths not counted for /metrics', { error: err instanceof Error ? err.message : String(err) });
        }
      },
    });
    // Parked events (docs/ingest.md): shared by every replica, counted at scrape time (the two
    // gauges are collected at once, each with its own small count).
    const parkedCount = async () => {
      const store = sources.queueStore;
      if (!store) return null;
      try {
        return await withDeadline('provenance', QUEUE_COUNT_TIMEOUT_MS, () => store.parkedSummary());
      } catch (err) {
        warn('parked events not counted for /metrics', { error: err instanceof Error ? err.message : String(err) });
        return null;
      }
    };
    new Gauge({
      name: 'provml_parked_events',
      help: 'Events parked until their run or task lands (state parked), and those that still did not fit once it did (state rejected, kept)',
      labelNames: ['state'],
      registers,
      async collect() {
        const s = await parkedCount();
        this.reset();
        if (!s) return;
        this.set({ state: 'parked' }, s.parked);
        this.set({ state: 'rejected' }, s.rejected);
      },
    });
    new Gauge({
      name: 'provml_parked_oldest_age_seconds',
      help: 'Age of the oldest parked event (0 when none waits); compare with PROVML_PARKED_MAX_AGE_S',
      registers,
      async collect() {
        const s = await parkedCount();
        this.reset();
        if (s) this.set(s.oldestAgeSeconds ?? 0);
      },
    });
  }

  /** Counts the store's work queues at each scrape (set once the store is open). */
  // (the parked events too: provml_parked_events, provml_parked_oldest_age_seconds)
  countQueuesOf(store: ProvenanceStore): void {
    this.sources.queueStore = store;
  }

  ingestDone(
    result: { accepted: number; duplicates: number; parked?: number; issues: ReadonlyArray<{ code: string }> },
    seconds: number,
  ): void {
    this.ingestBatches.observe({ outcome: 'ok' }, seconds);
    if (result.accepted) this.ingestEvents.inc({ outcome: 'accepted' }, result.accepted);
    if (result.duplicates) this.ingestEvents.inc({ outcome: 'duplicate' }, result.duplicates);
    if (result.issues.length) this.ingestEvents.inc({ outcome: 'rejected' }, result.issues.length);
    if (result.parked) this.ingestEvents.inc({ outcome: 'parked' }, result.parked);
    for (const issue of result.issues) this.rejected.inc({ code: issue.code });
  }

  /** A release pass of parked events (counted as parked on arrival): what it wrote is accepted now. */
  parkedReleased(result: { accepted: number; duplicates: number; issues: ReadonlyArray<{ code: string }> }): void {
    if (result.accepted) this.ingestEvents.inc({ outcome: 'accepted' }, result.accepted);
    if (result.duplicates) this.ingestEvents.inc({ outcome: 'duplicate' }, result.duplicates);
    if (result.issues.length) this.ingestEvents.inc({ outcome: 'rejected' }, result.issues.length);
    for (const issue of result.issues) this.rejected.inc({ code: issue.code });
  }

  ingestFailed(code: string, events: number, seconds: number): void {
    this.ingestBatches.observe({ outcome: 'error' }, seconds);
    this.rejected.inc({ code }, events);
  }

  storeCall(store: string, operation: string, seconds: number, errorCode: string | null): void {
    this.storeCalls.observe({ store, operation }, seconds);
    if (errorCode) this.storeErrors.inc({ store, operation, code: errorCode });
  }

  /** Counts one request from its start; call the returned function when its response is done. */
  requestStarted(route: string): (status: number) => void {
    this.inFlight.inc({ route });
    let done = false;
    return (status) => {
      if (done) return;
      done = true;
      this.inFlight.dec({ route });
      this.httpRequests.inc({ route, status: String(status) });
    };
  }

  /** For the subscription server: the count it holds now. */
  setActiveSubscriptions(n: number): void {
    this.subscriptions.set(n);
  }

  /** Or a function read at each scrape (it wins over setActiveSubscriptions). */
  countSubscriptionsWith(count: () => number): void {
    this.sources.subscriptionCount = count;
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
