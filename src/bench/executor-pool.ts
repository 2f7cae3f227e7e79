/** Concurrency > 1: a pool of worker threads (worker.ts), each with its own session per model. */
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { MlpackError, UserError } from "../errors.js";
import type { BlockSpec, Executor, PhaseResult } from "./executor.js";
import type { InputData } from "./inputs.js";
import type { SessionConfig } from "./session.js";

export type WorkerRequest =
  | { type: "feeds"; feeds: InputData[][] }
  | { type: "run"; model: number; spec: BlockSpec }
  | { type: "close" };

export type WorkerReply =
  | { type: "ready"; createMs: number[] }
  | { type: "ok" }
  | { type: "done"; latMs: Float64Array; startNs: number; endNs: number }
  | { type: "error"; message: string; hint?: string; exitCode?: number };

/**
 * The compiled worker script: next to this module in dist/, or, when running from the TypeScript
 * sources (tests, tsx), the built copy in dist/ (worker threads cannot load .ts files by themselves).
 */
function workerEntry(): URL {
  const candidates = [
    new URL("./worker.js", import.meta.url),
    new URL("../../dist/bench/worker.js", import.meta.url),
  ];
  const found = candidates.find((u) => fs.existsSync(fileURLToPath(u)));
  if (!found)
    throw new UserError("--concurrency above 1 needs the compiled bench worker (dist/bench/worker.js)", {
      hint: "run `npm run build` first",
    });
  return found;
}

/** One worker and the replies it still owes, answered in order. */
class Channel {
  private waiting: { resolve: (m: WorkerReply) => void; reject: (e: Error) => void }[] = [];
  private failure?: Error;
  constructor(readonly worker: Worker) {
    worker.on("message", (m: WorkerReply) => {
      const w = this.waiting.shift();
      if (!w) return;
      if (m.type === "error") w.reject(new MlpackError(m.message, m.exitCode ?? 70, { hint: m.hint }));
      else w.resolve(m);
    });
    const die = (e: Error) => {
      this.failure = e;
      for (const w of this.waiting.splice(0)) w.reject(e);
    };
    worker.on("error", die);
    worker.on("exit", (code) => die(new Error(`bench worker exited with code ${code}`)));
  }
  next(): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }
  request(m: WorkerRequest): Promise<WorkerReply> {
    const p = this.next();
    this.worker.postMessage(m);
    return p;
  }
}

export class PoolExecutor implements Executor {
  private constructor(
    private readonly channels: Channel[],
    readonly createMs: number[],
  ) {}

  get concurrency(): number {
    return this.channels.length;
  }

  static async create(models: string[], cfg: SessionConfig, workers: number): Promise<PoolExecutor> {
    const entry = workerEntry();
    const channels = Array.from(
      { length: workers },
      () => new Channel(new Worker(entry, { workerData: { models, session: cfg } })),
    );
    try {
      const ready = await Promise.all(channels.map((c) => c.next()));
      const first = ready[0] as Extract<WorkerReply, { type: "ready" }>;
      return new PoolExecutor(channels, first.createMs);
    } catch (e) {
      await Promise.all(channels.map((c) => c.worker.terminate()));
      throw e;
    }
  }

  async setFeeds(feedsPerModel: InputData[][]): Promise<void> {
    await Promise.all(this.channels.map((c) => c.request({ type: "feeds", feeds: feedsPerModel })));
  }

  async runPhase(model: number, spec: BlockSpec): Promise<PhaseResult> {
    const done = (await Promise.all(
      this.channels.map((c) => c.request({ type: "run", model, spec })),
    )) as Extract<WorkerReply, { type: "done" }>[];
    const start = Math.min(...done.map((d) => d.startNs));
    const end = Math.max(...done.map((d) => d.endNs));
    return { latMs: done.flatMap((d) => Array.from(d.latMs)), wallMs: (end - start) / 1e6 };
  }

  async close(): Promise<void> {
    await Promise.all(
      this.channels.map(async (c) => {
        try {
          await c.request({ type: "close" });
        } finally {
          await c.worker.terminate();
        }
      }),
    );
  }
}
