/**
 * Runs small models on the HTTP thread itself, the way a minimal server does. Handing a batch to a
 * worker thread and back costs two thread wake-ups and a copy each way; for a model that computes in
 * tens of microseconds that hop is most of a request's time (a 64-128-10 MLP at concurrency 1 on 2
 * cores: 1,580 requests/s through a worker, 3,570 inline, measured side by side).
 *
 * onnxruntime-node's `session.run` is synchronous on the calling thread, so a run here blocks the event
 * loop for its duration, and no deadline can interrupt it. Hence only models whose compute is bounded
 * come here: no Loop or Scan anywhere, every dim but the batch dim fixed, and a batch of
 * --max-batch-size rows measured at start-up under --inline-max-ms. Requests with more rows than that
 * go to the workers (service.ts), where the compute deadline applies.
 *
 * One run at a time: requests that arrive during a run queue in the scheduler and go out together as
 * the next batch, which is the batching a busy server needs, without a timer.
 */
import ort from "onnxruntime-node";
import type { Logger } from "../log.js";
import type { GraphProto } from "../onnx/proto.js";
import { forEachGraph } from "../onnx/walk-proto.js";
import { datatypeInfo, type Tensor } from "./datatypes.js";
import type { ModelInfo } from "./model-info.js";
import { fromOrtTensor, toOrtFeeds } from "./ort-tensors.js";
import type { BatchRunner } from "./batcher.js";
import { RunFailed, type PoolResult } from "./worker-pool.js";
import { errorLine, ortSessionOptions } from "../ort-session.js";

/** A model that may run inline. */
export interface InlineCandidate {
  id: string;
  info: ModelInfo;
  /** From hasUnboundedOps. */
  loops: boolean;
}

export interface InlineOptions {
  intraOpThreads: number;
  maxBatchSize: number;
  maxMs: number;
  onIdle: () => void;
  logger: Logger;
}

export class InlineRunner implements BatchRunner {
  readonly inline = true;
  private running = false;

  private constructor(
    private readonly sessions: Map<string, ort.InferenceSession>,
    /** Largest request, in rows, each inline model takes (Infinity: fixed-shape models). */
    readonly maxRows: ReadonlyMap<string, number>,
    private readonly onIdle: () => void,
  ) {}

  /**
   * Loads each candidate on this thread and times a full batch of zeros; keeps those under maxMs.
   * Returns undefined when none qualifies (their sessions are released).
   */
  static async start(candidates: InlineCandidate[], opts: InlineOptions): Promise<InlineRunner | undefined> {
    const sessions = new Map<string, ort.InferenceSession>();
    const maxRows = new Map<string, number>();
    for (const c of candidates) {
      const name = `${c.info.name}@${c.info.version}`;
      const probe = probeFeeds(c, opts.maxBatchSize);
      if (typeof probe === "string") {
        opts.logger.debug(`${name}: runs on the workers (${probe})`);
        continue;
      }
      let session: ort.InferenceSession | undefined;
      try {
        // Intra-op threads sleep after a run: spinning would take the core the event loop needs.
        session = await ort.InferenceSession.create(
          c.info.path,
          ortSessionOptions(opts.intraOpThreads, { spin: false }),
        );
        const ms = await timeRuns(session, probe.feeds);
        const verdict = ms < opts.maxMs ? "on the HTTP thread" : "on the workers";
        (ms < opts.maxMs ? opts.logger.info : opts.logger.debug).call(
          opts.logger,
          `${name}: a batch of ${probe.rows} row(s) computes in ${ms.toFixed(3)} ms (--inline-max-ms ${opts.maxMs}): runs ${verdict}`,
        );
        if (ms < opts.maxMs) {
          sessions.set(c.id, session);
          maxRows.set(c.id, c.info.batchable ? probe.rows : Infinity);
          session = undefined;
        }
      } catch (e) {
        opts.logger.debug(`${name}: the inline probe failed (${(e as Error).message}); runs on the workers`);
      } finally {
        await session?.release();
      }
    }
    return sessions.size > 0 ? new InlineRunner(sessions, maxRows, opts.onIdle) : undefined;
  }

  get idle(): number {
    return this.running ? 0 : 1;
  }

  get spare(): number {
    return 0;
  }

  async run(model: string, feeds: Record<string, Tensor>): Promise<PoolResult> {
    const session = this.sessions.get(model);
    if (!session) throw new Error(`no inline session for ${model}`);
    this.running = true;
    const t0 = performance.now();
    let result: ort.InferenceSession.ReturnType;
    try {
      // session.run defers to setImmediate, then runs synchronously: sockets that became readable
      // are read first, so their requests join the next batch.
      result = await session.run(toOrtFeeds(ort.Tensor, feeds));
    } catch (e) {
      throw new RunFailed("error", errorLine(e));
    } finally {
      this.running = false;
      // After the batch's requests have been resolved by the caller's continuation.
      queueMicrotask(this.onIdle);
    }
    const computeMs = performance.now() - t0;
    const outputs: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(result)) outputs[name] = fromOrtTensor(name, t);
    return { outputs, computeMs };
  }

  async close(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.release()));
    this.sessions.clear();
  }
}

/** Whether a graph can loop for as long as its inputs say (Loop, Scan), in any subgraph. */
export function hasUnboundedOps(graph: GraphProto): boolean {
  let found = false;
  forEachGraph(graph, (g) => {
    for (const n of g.node ?? []) if (n.opType === "Loop" || n.opType === "Scan") found = true;
  });
  return found;
}

/**
 * Zero inputs for the largest request that may run inline: --max-batch-size rows of a batchable
 * model, the fixed shape of another. A reason instead when a non-batch dim is not fixed (a request's
 * size would be unbounded), an input holds strings, or the graph loops.
 */
function probeFeeds(
  c: InlineCandidate,
  maxBatchSize: number,
): { feeds: Record<string, ort.Tensor>; rows: number } | string {
  if (c.loops) return "it has Loop or Scan: its compute time depends on input values";
  const feeds: Record<string, ort.Tensor> = {};
  const rows = c.info.batchable ? maxBatchSize : 1;
  for (const input of c.info.inputs) {
    if (input.datatype === "BYTES") return `input "${input.name}" holds strings`;
    const dims: number[] = [];
    for (const [i, d] of (input.shape ?? [null]).entries()) {
      if (i === 0 && c.info.batchable) dims.push(rows);
      else if (typeof d === "number") dims.push(d);
      else
        return `input "${input.name}" has a variable dim${c.info.batchable ? " besides the batch dim" : ""}: a request's size is unbounded`;
    }
    const info = datatypeInfo(input.datatype);
    const n = dims.reduce((a, b) => a * b, 1);
    feeds[input.name] = new ort.Tensor(info.ort as "float32", info.create(n) as Float32Array, dims);
  }
  return { feeds, rows };
}

/** Median of a few timed runs after a warm-up, in ms. */
async function timeRuns(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<number> {
  await session.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[2];
}
