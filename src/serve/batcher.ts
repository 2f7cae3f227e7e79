/**
 * Dynamic batching. Each model has a bounded queue; when a worker is free, the scheduler takes the
 * oldest request and every queued request with the same signature (dims after dim 0) up to
 * --max-batch-size rows, concatenates them along dim 0, runs them as one batch and gives each caller
 * exactly its rows back. An idle worker takes whatever is queued at once; while every worker is busy,
 * a batch forms and goes out (queued behind a running one) when it is full or its oldest request has
 * waited --max-queue-delay-ms. Models without a batch dim, or --max-batch-size 1, run one request at
 * a time.
 * A batch whose run fails is bisected and re-run, so one bad request fails alone (see `failed`).
 */
import { computeError, unavailable, ServeError } from "./errors.js";
import type { Tensor } from "./datatypes.js";
import { concatRows, ownedCopy, sliceRows } from "./batch-tensors.js";
import type { ServeMetrics } from "./metrics.js";
import { RunFailed, type PoolResult } from "./worker-pool.js";

export interface BatchRunner {
  /** Runs on the HTTP thread (InlineRunner), counted in mlpack_inline_batches_total. */
  readonly inline?: boolean;
  /** Workers with nothing to do. */
  readonly idle: number;
  /** Busy workers that accept one more job queued behind the running one. */
  readonly spare: number;
  run(model: string, feeds: Record<string, Tensor>): Promise<PoolResult>;
}

export interface SchedulerOptions {
  runner: BatchRunner;
  maxBatchSize: number;
  maxQueueDelayMs: number;
  maxQueue: number;
  metrics: ServeMetrics;
  now: () => number;
}

export interface BatchItem {
  inputs: Record<string, Tensor>;
  rows: number;
  signature: string;
}

/** A request's outputs, and how it was run (for the access log). */
export interface Scheduled {
  outputs: Record<string, Tensor>;
  queueMs: number;
  computeMs: number;
  /** Rows in the batch it ran in. */
  batchRows: number;
}

interface Queued extends BatchItem {
  enqueuedAt: number;
  /** When a worker took it (the last time, if its batch was re-run). */
  dispatchedAt?: number;
  /** Set on the requests of a failed batch that are re-run together (half of it, see `isolate`). */
  group?: number;
  resolve: (result: Scheduled) => void;
  reject: (e: Error) => void;
}

interface ModelQueue {
  id: string;
  /** Where its batches run: the worker pool, or the HTTP thread for small models. */
  runner: BatchRunner;
  batchable: boolean;
  labels: Record<string, string>;
  items: Queued[];
  rows: number;
}

export class Scheduler {
  private readonly queues: ModelQueue[] = [];
  private readonly byId = new Map<string, ModelQueue>();
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private flushing = false;
  private pumping = false;
  private nextGroup = 1;

  constructor(private readonly opts: SchedulerOptions) {}

  addModel(
    id: string,
    batchable: boolean,
    labels: Record<string, string>,
    runner: BatchRunner = this.opts.runner,
  ): void {
    const q: ModelQueue = {
      id,
      runner,
      batchable: batchable && this.opts.maxBatchSize > 1,
      labels,
      items: [],
      rows: 0,
    };
    this.queues.push(q);
    this.byId.set(id, q);
  }

  /** Queues one validated request; rejects at once with 503 when the model's queue is full. */
  submit(model: string, item: BatchItem): Promise<Scheduled> {
    const q = this.byId.get(model)!;
    if (q.items.length >= this.opts.maxQueue)
      return Promise.reject(
        unavailable(
          `model "${q.labels.model}" has ${q.items.length} requests waiting (--max-queue ${this.opts.maxQueue}); retry later`,
        ),
      );
    return new Promise((resolve, reject) => {
      q.items.push({
        inputs: item.inputs,
        rows: item.rows,
        signature: item.signature,
        enqueuedAt: this.opts.now(),
        resolve,
        reject,
      });
      q.rows += item.rows;
      this.opts.metrics.queueDepth.set(q.labels, q.items.length);
      this.pump();
    });
  }

  /** Requests waiting in all queues. */
  get pending(): number {
    return this.queues.reduce((n, q) => n + q.items.length, 0);
  }

  /** Shutdown: stop waiting for batches to fill; send what is queued as soon as workers are free. */
  flush(): void {
    this.flushing = true;
    this.pump();
  }

  /** Dispatches every ready batch to idle workers; called on submit, when a worker frees, on timers. */
  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      const now = this.opts.now();
      let wakeAt = Infinity;
      for (;;) {
        let picked: ModelQueue | undefined;
        // Round-robin over models so one busy model cannot starve another.
        for (let k = 0; k < this.queues.length && !picked; k++) {
          const q = this.queues[(this.next + k) % this.queues.length];
          if (q.items.length === 0) continue;
          const idle = q.runner.idle > 0;
          if (!idle && q.runner.spare === 0) continue;
          const due = q.items[0].enqueuedAt + this.opts.maxQueueDelayMs;
          const full =
            !q.batchable ||
            this.flushing ||
            q.rows >= this.opts.maxBatchSize ||
            q.items[0].group !== undefined;
          // An idle worker takes what is queued at once: waiting for others only adds latency when
          // nothing is running. While every worker is busy, requests pile up and a batch forms; it
          // is queued behind a running one once it is full or its oldest request is due.
          if (full || idle || due <= now) {
            picked = q;
            this.next = (this.next + k + 1) % this.queues.length;
          } else {
            wakeAt = Math.min(wakeAt, due);
          }
        }
        if (!picked) break;
        this.dispatch(picked, now);
      }
      // A batch left waiting for a spare slot needs the timer; with no slot free at all, the
      // runner's onIdle pumps again.
      this.arm(wakeAt, now);
    } finally {
      this.pumping = false;
    }
  }

  close(): void {
    clearTimeout(this.timer);
    for (const q of this.queues) {
      for (const r of q.items) r.reject(unavailable("the server is shutting down"));
      q.items = [];
      q.rows = 0;
    }
  }

  private arm(at: number, now: number): void {
    if (at === this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = undefined;
    if (at === Infinity) return;
    this.timer = setTimeout(
      () => {
        this.timerAt = Infinity;
        this.timer = undefined;
        this.pump();
      },
      Math.max(0, at - now),
    );
  }

  private take(q: ModelQueue): Queued[] {
    const head = q.items[0];
    if (head.group !== undefined) {
      // A re-run of part of a failed batch: exactly that part, no newcomers.
      const batch = q.items.filter((r) => r.group === head.group);
      q.items = q.items.filter((r) => r.group !== head.group);
      for (const r of batch) q.rows -= r.rows;
      return batch;
    }
    if (!q.batchable || head.rows >= this.opts.maxBatchSize) {
      q.items.shift();
      q.rows -= head.rows;
      return [head];
    }
    const batch: Queued[] = [];
    const rest: Queued[] = [];
    let rows = 0;
    for (const r of q.items) {
      if (r.signature === head.signature && rows + r.rows <= this.opts.maxBatchSize) {
        batch.push(r);
        rows += r.rows;
      } else rest.push(r);
    }
    q.items = rest;
    q.rows -= rows;
    return batch;
  }

  private dispatch(q: ModelQueue, now: number): void {
    const batch = this.take(q);
    const m = this.opts.metrics;
    m.queueDepth.set(q.labels, q.items.length);
    const rows = batch.reduce((n, r) => n + r.rows, 0);
    m.batchSize.observe(q.labels, q.batchable ? rows : 1);
    if (q.runner.inline) m.inlineBatches.inc(q.labels);
    for (const r of batch) {
      r.dispatchedAt ??= now;
      m.queueSeconds.observe(q.labels, (now - r.enqueuedAt) / 1000);
    }
    const feeds: Record<string, Tensor> = {};
    for (const name of Object.keys(batch[0].inputs))
      feeds[name] =
        batch.length === 1 ? ownedCopy(batch[0].inputs[name]) : concatRows(batch.map((r) => r.inputs[name]));
    q.runner.run(q.id, feeds).then(
      ({ outputs, computeMs }) => {
        m.computeSeconds.observe(q.labels, computeMs / 1000);
        const done = (r: Queued, mine: Record<string, Tensor>) =>
          r.resolve({
            outputs: mine,
            queueMs: (r.dispatchedAt ?? now) - r.enqueuedAt,
            computeMs,
            batchRows: rows,
          });
        if (batch.length === 1) return done(batch[0], outputs);
        const bad = Object.entries(outputs).find(([, t]) => t.shape[0] !== rows);
        if (bad) {
          const e = new ServeError(
            500,
            `output "${bad[0]}" has ${bad[1].shape[0]} rows for a batch of ${rows}: the model's dim 0 is not a batch dim; serve it with --max-batch-size 1`,
          );
          return batch.forEach((r) => r.reject(e));
        }
        let offset = 0;
        for (const r of batch) {
          const mine: Record<string, Tensor> = {};
          for (const [name, t] of Object.entries(outputs)) mine[name] = sliceRows(t, offset, r.rows);
          offset += r.rows;
          done(r, mine);
        }
      },
      (e: Error) => this.failed(q, batch, e),
    );
  }

  /**
   * A failed run. Each caller must hear only about its own request: onnxruntime's message may quote
   * any row of the batch, so a batch that failed is split in halves and re-run (at the head of the
   * queue) until the requests that fail are alone; only a request that fails alone sees the message.
   */
  private failed(q: ModelQueue, batch: Queued[], e: Error): void {
    if (!(e instanceof RunFailed)) return batch.forEach((r) => r.reject(e));
    if (e.kind === "error" && batch.length > 1) {
      this.opts.metrics.isolationReruns.inc(q.labels);
      const half = Math.ceil(batch.length / 2);
      const parts = [batch.slice(0, half), batch.slice(half)];
      for (const part of parts) {
        const group = this.nextGroup++;
        for (const r of part) r.group = group;
      }
      q.items.unshift(...parts[0], ...parts[1]);
      q.rows += batch.reduce((n, r) => n + r.rows, 0);
      this.opts.metrics.queueDepth.set(q.labels, q.items.length);
      return this.pump();
    }
    const err = callerError(e, q.labels.model);
    batch.forEach((r) => r.reject(err));
  }
}

/** What the callers of a failed run hear; only `error` carries onnxruntime's text (one request's own). */
function callerError(e: RunFailed, model: string): ServeError {
  switch (e.kind) {
    case "error":
      return computeError(model, e.message);
    case "timeout":
      return new ServeError(504, e.message);
    case "lost":
      return unavailable(e.message);
    default:
      return new ServeError(500, e.message);
  }
}
