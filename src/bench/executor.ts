/**
 * Where inference calls run. A phase is one model's block of calls in one round (or one warm-up
 * window): on the main thread for concurrency 1, or on every worker at once (executor-pool.ts).
 */
import type ort from "onnxruntime-node";
import { createSession, inferenceError, toFeeds, type SessionConfig } from "./session.js";
import type { InputData } from "./inputs.js";

export interface BlockSpec {
  /** Calls to make (per worker). */
  calls: number;
  /** Keep calling until this much time has passed too. */
  minMs?: number;
}

export interface BlockResult {
  latMs: Float64Array;
  /** process.hrtime.bigint() at the start and end of the block, in ns (the same clock in every thread). */
  startNs: number;
  endNs: number;
}

export interface PhaseResult {
  /** Latency of every call in ms (all workers, worker by worker). */
  latMs: number[];
  /** From the first call's start to the last call's end over all workers, in ms. */
  wallMs: number;
}

export interface Executor {
  readonly concurrency: number;
  /** Session creation time per model (the first thread's). */
  readonly createMs: number[];
  setFeeds(feedsPerModel: InputData[][]): Promise<void>;
  runPhase(model: number, spec: BlockSpec): Promise<PhaseResult>;
  close(): Promise<void>;
}

/**
 * The timed loop, as bare as a hand-written one (the harness must not add latency): one await of
 * session.run per call between two reads of the monotonic clock.
 */
export async function runBlock(
  session: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
  spec: BlockSpec,
): Promise<BlockResult> {
  const lat = new Float64Array(Math.max(16, spec.calls));
  let buf = lat;
  let n = 0;
  const minNs = BigInt(Math.round((spec.minMs ?? 0) * 1e6));
  const start = process.hrtime.bigint();
  let t1 = start;
  while (n < spec.calls || t1 - start < minNs) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    t1 = process.hrtime.bigint();
    if (n === buf.length) {
      const grown = new Float64Array(buf.length * 2);
      grown.set(buf);
      buf = grown;
    }
    buf[n++] = Number(t1 - t0) / 1e6;
  }
  return { latMs: buf.slice(0, n), startNs: Number(start), endNs: Number(t1) };
}

/** Sessions on the calling thread: the concurrency-1 executor. */
export class LocalExecutor implements Executor {
  readonly concurrency = 1;
  private feeds: Record<string, ort.Tensor>[] = [];
  private constructor(
    private readonly sessions: ort.InferenceSession[],
    private readonly labels: string[],
    readonly createMs: number[],
  ) {}

  static async create(models: string[], cfg: SessionConfig): Promise<LocalExecutor> {
    const sessions: ort.InferenceSession[] = [];
    const createMs: number[] = [];
    for (const m of models) {
      const s = await createSession(m, cfg);
      sessions.push(s.session);
      createMs.push(s.createMs);
    }
    return new LocalExecutor(sessions, models, createMs);
  }

  async setFeeds(feedsPerModel: InputData[][]): Promise<void> {
    this.feeds = feedsPerModel.map((f) => toFeeds(f));
  }

  async runPhase(model: number, spec: BlockSpec): Promise<PhaseResult> {
    try {
      const r = await runBlock(this.sessions[model], this.feeds[model], spec);
      return { latMs: Array.from(r.latMs), wallMs: (r.endNs - r.startNs) / 1e6 };
    } catch (e) {
      throw inferenceError(e, this.labels[model]);
    }
  }

  async close(): Promise<void> {
    for (const s of this.sessions) await s.release();
  }
}
