/** Prometheus metrics (text exposition format 0.0.4): counters, gauges, histograms, and the server's set. */

type Labels = Record<string, string>;

interface Series<T> {
  labels: Labels;
  value: T;
}

abstract class Metric<T> {
  protected readonly series = new Map<string, Series<T>>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge" | "histogram",
  ) {}

  /** The last label object looked up: the batcher passes each model's one object every time. */
  private lastLabels: Labels | undefined;
  private lastSeries: Series<T> | undefined;

  protected get(labels: Labels, init: () => T): Series<T> {
    if (labels === this.lastLabels) return this.lastSeries!;
    // On every request, several times: a string built in place rather than an array joined.
    let key = "";
    for (const k in labels) key += labels[k] + "\u0001";
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { labels, value: init() }));
    this.lastLabels = labels;
    this.lastSeries = s;
    return s;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const s of this.series.values()) lines.push(...this.renderSeries(s));
    return lines;
  }

  protected abstract renderSeries(s: Series<T>): string[];
}

export class Counter extends Metric<number> {
  constructor(name: string, help: string) {
    super(name, help, "counter");
  }
  inc(labels: Labels = {}, n = 1): void {
    this.get(labels, () => 0).value += n;
  }
  value(labels: Labels = {}): number {
    return this.get(labels, () => 0).value;
  }
  protected renderSeries(s: Series<number>): string[] {
    return [`${this.name}${fmtLabels(s.labels)} ${s.value}`];
  }
}

export class Gauge extends Metric<number> {
  constructor(name: string, help: string) {
    super(name, help, "gauge");
  }
  set(labels: Labels, v: number): void {
    this.get(labels, () => 0).value = v;
  }
  inc(labels: Labels = {}, n = 1): void {
    this.get(labels, () => 0).value += n;
  }
  dec(labels: Labels = {}, n = 1): void {
    this.get(labels, () => 0).value -= n;
  }
  value(labels: Labels = {}): number {
    return this.get(labels, () => 0).value;
  }
  protected renderSeries(s: Series<number>): string[] {
    return [`${this.name}${fmtLabels(s.labels)} ${s.value}`];
  }
}

interface HistogramValue {
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends Metric<HistogramValue> {
  constructor(
    name: string,
    help: string,
    readonly buckets: readonly number[],
  ) {
    super(name, help, "histogram");
  }
  observe(labels: Labels, v: number): void {
    const h = this.get(labels, () => ({
      counts: new Array(this.buckets.length).fill(0),
      sum: 0,
      count: 0,
    })).value;
    // Counts are stored per bucket and summed at render time (cumulative `le` buckets).
    let i = 0;
    while (i < this.buckets.length && v > this.buckets[i]) i++;
    if (i < this.buckets.length) h.counts[i]++;
    h.sum += v;
    h.count++;
  }
  count(labels: Labels = {}): number {
    return this.get(labels, () => ({ counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 }))
      .value.count;
  }
  protected renderSeries(s: Series<HistogramValue>): string[] {
    const out: string[] = [];
    let acc = 0;
    this.buckets.forEach((le, i) => {
      acc += s.value.counts[i];
      out.push(`${this.name}_bucket${fmtLabels({ ...s.labels, le: String(le) })} ${acc}`);
    });
    out.push(`${this.name}_bucket${fmtLabels({ ...s.labels, le: "+Inf" })} ${s.value.count}`);
    out.push(`${this.name}_sum${fmtLabels(s.labels)} ${s.value.sum}`);
    out.push(`${this.name}_count${fmtLabels(s.labels)} ${s.value.count}`);
    return out;
  }
}

function fmtLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
  return `{${entries.map(([k, v]) => `${k}="${esc(v)}"`).join(",")}}`;
}

/** The buckets of every latency histogram (the rollout window estimates p99 from the same ones). */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
const DIFF_BUCKETS = [0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1, 10];
const ROWS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/** Everything `GET /metrics` reports. Label sets: model+version, and route+code for requests. */
export function createServeMetrics() {
  const m = {
    requests: new Counter(
      "mlpack_requests_total",
      "HTTP requests by route, model, version (the one that answered) and status code",
    ),
    inflight: new Gauge("mlpack_inflight_requests", "HTTP requests being handled now"),
    requestSeconds: new Histogram(
      "mlpack_request_duration_seconds",
      "inference request latency, body received to response ready",
      LATENCY_BUCKETS,
    ),
    queueSeconds: new Histogram(
      "mlpack_queue_duration_seconds",
      "time a request waited in the batching queue before a worker took it",
      LATENCY_BUCKETS,
    ),
    computeSeconds: new Histogram(
      "mlpack_compute_duration_seconds",
      "onnxruntime session.run time per batch",
      LATENCY_BUCKETS,
    ),
    inlineBatches: new Counter(
      "mlpack_inline_batches_total",
      "batches run on the HTTP thread rather than on a worker (small models: --inline-max-ms)",
    ),
    batchSize: new Histogram("mlpack_batch_size", "rows per batch sent to onnxruntime", ROWS),
    queueDepth: new Gauge("mlpack_queue_depth", "requests waiting in the batching queue"),
    cacheHits: new Counter("mlpack_cache_hits_total", "responses served from the cache"),
    cacheMisses: new Counter("mlpack_cache_misses_total", "cache lookups that missed"),
    cacheEntries: new Gauge("mlpack_cache_entries", "entries in the response cache"),
    isolationReruns: new Counter(
      "mlpack_batch_splits_total",
      "failed batches split in halves and re-run so that only the failing requests fail",
    ),
    workerTimeouts: new Counter(
      "mlpack_worker_timeouts_total",
      "runs past --request-timeout-ms whose worker was replaced",
    ),
    canaryWeight: new Gauge(
      "mlpack_canary_weight_percent",
      "percent of a model's unversioned inference requests sent to its canary version",
    ),
    rollbacks: new Counter(
      "mlpack_rollbacks_total",
      "canary rollbacks, by reason: error_ratio or p99 (the automatic rule), admin, reload",
    ),
    shadowRequests: new Counter(
      "mlpack_shadow_requests_total",
      "requests mirrored to a shadow version, by result: match, mismatch, error (the shadow failed), stable_error (nothing to compare), skipped (too many in flight)",
    ),
    shadowArgmaxMismatches: new Counter(
      "mlpack_shadow_argmax_mismatches_total",
      "mirrored requests where a row's argmax (last axis) differs between shadow and stable",
    ),
    shadowMaxAbsDiff: new Histogram(
      "mlpack_shadow_max_abs_diff",
      "per mirrored request, the largest absolute difference between shadow and stable outputs",
      DIFF_BUCKETS,
    ),
    shadowSeconds: new Histogram(
      "mlpack_shadow_duration_seconds",
      "the shadow version's latency per mirrored request (queue and compute)",
      LATENCY_BUCKETS,
    ),
  };
  return {
    ...m,
    render(): string {
      return (
        Object.values(m)
          .flatMap((x) => x.render())
          .join("\n") + "\n"
      );
    },
  };
}

export type ServeMetrics = ReturnType<typeof createServeMetrics>;
