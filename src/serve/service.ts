/**
 * The model service: loads models, runs them on a worker pool behind the dynamic batcher and the
 * response cache, and answers in OIP v2 terms. Transport-independent: the HTTP server and the Lambda
 * handler both call `infer()` and map ServeError.status to their response.
 */
import os from "node:os";
import { createRequire } from "node:module";
import { readModel as defaultReadModel } from "../onnx/read.js";
import { silentLogger, type Logger } from "../log.js";
import { ServeError, unavailable } from "./errors.js";
import type { Tensor } from "./datatypes.js";
import { modelInfoFromProto, type ModelInfo } from "./model-info.js";
import { modelRegistry, type ModelMetadata } from "./model-registry.js";
import type { InferRequest, InferResponse, InferTiming, NamedTensor } from "./protocol.js";
import { validateRequest } from "./validate-request.js";
import { Scheduler } from "./batcher.js";
import { cacheKey, LruCache } from "./cache.js";
import { createServeMetrics, type ServeMetrics } from "./metrics.js";
import { WorkerPool } from "./worker-pool.js";
import { hasUnboundedOps, InlineRunner } from "./inline-runner.js";
import { SERVE_DEFAULTS, type ServeOptions } from "./options.js";
import { RolloutController, type RolloutOptions } from "./canary/controller.js";

export type ModelServiceOptions = Pick<
  ServeOptions,
  "models" | "workers" | "intraOpThreads" | "maxBatchSize" | "maxQueueDelayMs" | "maxQueue" | "cacheSize"
> &
  Partial<Pick<ServeOptions, "requestTimeoutMs" | "inlineMaxMs">> &
  Partial<RolloutOptions>;

export interface ModelServiceDeps {
  logger?: Logger;
  now?: () => number;
  readModel?: typeof defaultReadModel;
}

export interface ServerMetadata {
  name: string;
  version: string;
  extensions: string[];
}

export type { ModelMetadata } from "./model-registry.js";

export interface ModelService {
  readonly models: readonly ModelInfo[];
  readonly metrics: ServeMetrics;
  isLive(): boolean;
  /** False once draining has begun, or while no worker is free (load balancers should stop sending). */
  isReady(): boolean;
  /** Why the service is not ready; `ready` when it is. */
  readiness(): Readiness;
  serverMetadata(): ServerMetadata;
  /** The model, or the highest version when none is named; ServeError 404 when unknown. */
  resolveModel(name: string, version?: string): ModelInfo;
  /**
   * The version an inference request is answered by: the named one, else the canary or the stable
   * version by the rollout's weighted split (resolveModel without a split). Optional: the Lambda's
   * in-process service has no rollouts (Lambda aliases split traffic there).
   */
  route?(name: string, version?: string): ModelInfo;
  /** Canary and shadow rollouts: weights, rollback, per-version windows. */
  readonly rollouts?: RolloutController;
  modelMetadata(name: string, version?: string): ModelMetadata;
  infer(name: string, version: string | undefined, request: InferRequest): Promise<InferResponse>;
  /** Requests accepted and not yet answered. */
  readonly inflight: number;
  /** Stop being ready and send queued requests without waiting for batches to fill. */
  drain(): void;
  /**
   * Stops the workers; call after in-flight requests have finished. Workers still busy after
   * `graceMs` are abandoned; `stuck` counts threads still inside a run.
   */
  close(graceMs?: number): Promise<{ stuck: number }>;
}

export type Readiness =
  { state: "ready" } | { state: "degraded"; reason: string } | { state: "draining"; reason: string };

const pkg = createRequire(import.meta.url)("../../package.json") as { version: string };

export async function createModelService(
  opts: ModelServiceOptions,
  deps: ModelServiceDeps = {},
): Promise<ModelService> {
  const logger = deps.logger ?? silentLogger;
  const now = deps.now ?? (() => performance.now());
  const read = deps.readModel ?? defaultReadModel;
  const models: ModelInfo[] = [];
  const loops = new Map<ModelInfo, boolean>();
  for (const spec of opts.models) {
    const { proto } = await read(spec.path);
    const info = modelInfoFromProto(proto, spec);
    models.push(info);
    loops.set(info, hasUnboundedOps(proto.graph!));
  }

  const metrics = createServeMetrics();
  const rollouts = new RolloutController(
    models,
    {
      canaryMaxErrorIncrease: SERVE_DEFAULTS.canaryMaxErrorIncrease,
      canaryMaxP99Ratio: SERVE_DEFAULTS.canaryMaxP99Ratio,
      canaryWindow: SERVE_DEFAULTS.canaryWindow,
      canaryMinRequests: SERVE_DEFAULTS.canaryMinRequests,
      shadowTolerance: SERVE_DEFAULTS.shadowTolerance,
      ...definedOnly(opts),
    },
    { metrics, logger, now },
  );
  const id = (m: ModelInfo) => `${m.name}@${m.version}`;
  // The pool tells the scheduler when a worker frees up; the scheduler exists before the pool does.
  const late: { pool?: WorkerPool } = {};
  const sched = new Scheduler({
    runner: {
      get idle() {
        return late.pool?.idle ?? 0;
      },
      get spare() {
        return late.pool?.spare ?? 0;
      },
      run: (model, feeds) => late.pool!.run(model, feeds),
    },
    maxBatchSize: opts.maxBatchSize,
    maxQueueDelayMs: opts.maxQueueDelayMs,
    maxQueue: opts.maxQueue,
    metrics,
    now,
  });
  const pool = (late.pool = await WorkerPool.start({
    size: opts.workers,
    intraOpThreads: opts.intraOpThreads,
    models: models.map((m) => ({ id: id(m), path: m.path })),
    logger,
    onIdle: () => sched.pump(),
    requestTimeoutMs: opts.requestTimeoutMs ?? 0,
    onTimeout: () => metrics.workerTimeouts.inc({}),
  }));
  const inlineId = (m: ModelInfo) => `${id(m)} (inline)`;
  const inlineMaxMs = opts.inlineMaxMs ?? SERVE_DEFAULTS.inlineMaxMs;
  const inline =
    inlineMaxMs > 0
      ? await InlineRunner.start(
          models.map((m) => ({ id: inlineId(m), info: m, loops: loops.get(m)! })),
          {
            intraOpThreads: opts.intraOpThreads,
            maxBatchSize: opts.maxBatchSize,
            maxMs: inlineMaxMs,
            onIdle: () => sched.pump(),
            logger,
          },
        ).catch(async (e: Error) => {
          await pool.close();
          throw e;
        })
      : undefined;
  // Every model has a queue on the workers; an inline model also has one on the HTTP thread, for
  // requests no larger than the batch it was timed with.
  for (const m of models) {
    const labels = { model: m.name, version: m.version };
    sched.addModel(id(m), m.batchable, labels);
    if (inline?.maxRows.has(inlineId(m))) sched.addModel(inlineId(m), m.batchable, labels, inline);
  }
  /** The queue a request of `rows` rows joins. */
  const queueOf = (m: ModelInfo, rows: number) =>
    rows <= (inline?.maxRows.get(inlineId(m)) ?? -1) ? inlineId(m) : id(m);
  const cache = opts.cacheSize > 0 ? new LruCache<Record<string, Tensor>>(opts.cacheSize) : undefined;

  let ready = true;
  let closed = false;
  let inflight = 0;

  const { resolveModel, modelMetadata } = modelRegistry(models, rollouts.candidates);
  // Mirrored requests are bounded so a slow shadow cannot grow memory or starve stable's workers.
  const maxShadowInflight = Math.max(1, Math.floor(opts.maxQueue / 4));
  let shadowInflight = 0;
  const mirror = (shadow: ModelInfo, v: Parameters<typeof sched.submit>[1]) => {
    if (shadowInflight >= maxShadowInflight) return Promise.resolve("skipped" as const);
    shadowInflight++;
    const t0 = now();
    // Its own copy: a batch of one transfers its input buffers to the worker, detaching them here.
    const inputs: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(v.inputs))
      inputs[k] = Array.isArray(t.data) ? t : { ...t, data: t.data.slice() as Tensor["data"] };
    return sched
      .submit(queueOf(shadow, v.rows), { ...v, inputs })
      .then(
        (run) => ({ outputs: run.outputs, seconds: (now() - t0) / 1000 }),
        (e: Error) => ({ error: e.message }),
      )
      .finally(() => shadowInflight--);
  };
  const readiness = (): Readiness => {
    if (!ready || closed) return { state: "draining", reason: "the server is shutting down" };
    if (pool.size === 0) {
      const { starting, stuck } = pool.replacing;
      return {
        state: "degraded",
        reason: `no worker is free (${starting} starting to replace ${stuck || "a"} stopped one${stuck === 1 ? "" : "s"} after a compute timeout or crash)`,
      };
    }
    return { state: "ready" };
  };

  return {
    models,
    metrics,
    get inflight() {
      return inflight;
    },
    isLive: () => !closed,
    isReady: () => readiness().state === "ready",
    readiness,
    serverMetadata: () => ({ name: "mlpack", version: pkg.version, extensions: ["binary_tensor_data"] }),
    resolveModel,
    route: (name, version) => resolveModel(name, version ?? rollouts.pick(name)),
    rollouts,
    modelMetadata,
    async infer(name, version, request) {
      const model = resolveModel(name, version);
      if (closed) throw unavailable("the server is shutting down");
      const v = validateRequest(model, request.inputs, request.outputs);
      const shadow = ready ? rollouts.shadowOf(model) : undefined;
      // The shadow runs beside stable (not after it), so its latency is measured under the same load.
      const mirrored = shadow ? mirror(shadow, v) : undefined;
      let answered: Record<string, Tensor> | undefined;
      let stableDone = () => {};
      if (shadow && mirrored) {
        const settled = new Promise<void>((resolve) => (stableDone = resolve));
        void Promise.all([mirrored, settled])
          .then(([r]) => rollouts.recordShadow(shadow, answered, r))
          .catch(() => {});
      }
      inflight++;
      try {
        let outputs: Record<string, Tensor> | undefined;
        let timing: InferTiming = {};
        const key = cache ? cacheKey(id(model), v.inputs) : undefined;
        const labels = { model: model.name, version: model.version };
        if (cache && key) {
          outputs = cache.get(key);
          (outputs ? metrics.cacheHits : metrics.cacheMisses).inc(labels);
          if (outputs) timing = { cached: true };
        }
        if (!outputs) {
          const run = await sched.submit(queueOf(model, v.rows), v);
          outputs = run.outputs;
          timing = { queueMs: run.queueMs, computeMs: run.computeMs, batchRows: run.batchRows };
          if (cache && key) {
            // Copy out of the batch's buffers so a cached entry does not pin the whole batch.
            const owned: Record<string, Tensor> = {};
            for (const [k, t] of Object.entries(outputs))
              owned[k] = { ...t, data: t.data.slice() as Tensor["data"] };
            cache.set(key, owned);
            metrics.cacheEntries.set({}, cache.size);
          }
        }
        answered = outputs;
        const out: NamedTensor[] = v.outputs.map((n) => {
          const t = outputs![n];
          if (!t) throw new ServeError(500, `onnxruntime returned no output "${n}"`);
          return { name: n, ...t };
        });
        return {
          modelName: model.name,
          modelVersion: model.version,
          ...(request.id !== undefined ? { id: request.id } : {}),
          outputs: out,
          timing,
        };
      } finally {
        inflight--;
        stableDone();
      }
    },
    drain() {
      ready = false;
      sched.flush();
    },
    async close(graceMs) {
      ready = false;
      closed = true;
      sched.close();
      const result = await pool.close(graceMs);
      await inline?.close();
      cache?.clear();
      return result;
    },
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Cores this process may use (containers may have fewer than the machine). */
export function availableCores(): number {
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
}
