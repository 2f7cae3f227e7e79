/**
 * The worker threads of one `mlpack predict` run: each holds one onnxruntime session and takes slabs
 * in order. A slab's input buffers are transferred (not copied) to the worker and its output buffers
 * transferred back. A worker that dies fails the slabs it held (the run stops; --resume picks it up).
 * Unlike serve's pool there are no deadlines or replacements: a batch job fails loudly instead.
 */
import { Worker } from "node:worker_threads";
import { UserError } from "../errors.js";
import { workerEntry } from "../worker-entry.js";
import type { NumericArray } from "../onnx/tensor.js";
import type { Tensor } from "../serve/datatypes.js";
import type { TensorSpec } from "../serve/model-info.js";
import type { SlabInit, SlabReply, SlabRequest } from "./slab-messages.js";

interface Job {
  id: number;
  resolve: (outputs: Record<string, Tensor>) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  jobs: Job[];
  dead?: string;
}

export class SlabPool {
  private readonly slots: Slot[] = [];
  private next = 1;
  /** Set by close: a worker that becomes ready after it (started by grow) is stopped at once. */
  private closed = false;
  /** The model's inputs and outputs, as the first worker's session loaded them. */
  inputs: TensorSpec[] = [];
  outputs: TensorSpec[] = [];
  /** Rows per session.run, set once the model's inputs say what is possible. */
  batchSize = 1;
  /** Input buffers of finished slabs, for the next ones. */
  readonly spare = new SpareBuffers();

  private constructor() {}

  /**
   * Starts `size` workers and resolves when they are ready; `more` starts that many besides, in the
   * background, as grow() does (a run that knows early it will want them: they start while the first
   * ones do, instead of after).
   */
  static async start(
    init: SlabInit,
    size: number,
    more?: { count: number; onError: (e: Error) => void },
  ): Promise<SlabPool> {
    process.env.ORT_DISABLE_TELEMETRY ??= "1"; // as in serve: no telemetry, no CA-bundle warnings
    const pool = new SlabPool();
    const waited = Array.from({ length: size }, () => pool.spawn(init));
    for (let i = 0; i < (more?.count ?? 0); i++) pool.grow(init, more!.onError);
    const started = await Promise.allSettled(waited);
    const failed = started.find((r) => r.status === "rejected");
    if (failed) {
      await pool.close();
      throw (failed as PromiseRejectedResult).reason;
    }
    return pool;
  }

  /**
   * Starts one more worker in the background; it takes slabs once its session is ready. A worker that
   * fails to start here is only logged by the caller's `onError`: the run goes on with the others.
   */
  grow(init: SlabInit, onError: (e: Error) => void): void {
    this.spawn(init).catch(onError);
  }

  /** Runs a slab on the worker with the fewest slabs in hand. */
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    const slot = this.slots.reduce((a, b) => (b.jobs.length < a.jobs.length ? b : a));
    if (slot.dead) return Promise.reject(new Error(`a predict worker died: ${slot.dead}`));
    return new Promise((resolve, reject) => {
      const id = this.next++;
      slot.jobs.push({ id, resolve, reject });
      const transfer = Object.values(feeds).map((t) => (t.data as NumericArray).buffer as ArrayBuffer);
      slot.worker.postMessage(
        { type: "run", job: id, feeds, batchSize: this.batchSize } satisfies SlabRequest,
        transfer,
      );
    });
  }

  async close(graceMs = 5000): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.slots.splice(0).map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.dead) return resolve();
            const force = setTimeout(() => void s.worker.terminate().then(() => resolve()), graceMs);
            s.worker.once("exit", () => {
              clearTimeout(force);
              resolve();
            });
            s.worker.postMessage({ type: "close" } satisfies SlabRequest);
          }),
      ),
    );
  }

  private spawn(init: SlabInit): Promise<void> {
    const { filename, options } = workerEntry(import.meta.url, "slab-worker");
    const worker = new Worker(filename, { ...options, workerData: init });
    const slot: Slot = { worker, jobs: [] };
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on("message", (msg: SlabReply) => {
        if (msg.type === "ready") {
          ready = true;
          if (this.closed) {
            worker.postMessage({ type: "close" } satisfies SlabRequest);
            return resolve();
          }
          if (this.slots.length === 0) {
            this.inputs = msg.inputs;
            this.outputs = msg.outputs;
          }
          this.slots.push(slot);
          resolve();
        } else if (msg.type === "init-error") {
          reject(
            new UserError(`onnxruntime cannot load the model: ${msg.message}`, {
              hint: "check the model with `mlpack validate MODEL --target ort-cpu`",
            }),
          );
          void worker.terminate();
        } else {
          // One slab at a time, in order: the answer is for the oldest.
          const job = slot.jobs.shift();
          if (!job || job.id !== msg.job) return;
          if (msg.type === "result") {
            for (const b of msg.inputs) this.spare.give(b);
            job.resolve(msg.outputs);
          } else job.reject(new Error(msg.message));
        }
      });
      const died = (why: string) => {
        if (!ready) return reject(new UserError(`a predict worker failed to start: ${why}`));
        slot.dead ??= why;
        for (const job of slot.jobs.splice(0)) job.reject(new Error(`the worker running it died: ${why}`));
      };
      worker.on("error", (e) => died(e.message));
      worker.on("exit", (code) => died(`exit code ${code}`));
    });
  }
}

/**
 * Slab input buffers handed back by the workers, reused for the next slabs: every slab in a fresh
 * ArrayBuffer cost the main thread a page fault per 4 KB touched (about 3 ms a MB on this VM), more
 * than the copy into it. At most `max` are kept.
 */
export class SpareBuffers {
  private readonly free: ArrayBuffer[] = [];
  constructor(private readonly max = 16) {}

  give(b: ArrayBuffer): void {
    if (b.byteLength > 0 && this.free.length < this.max) this.free.push(b);
  }

  /** A kept buffer of exactly `bytes` bytes, or undefined. */
  take(bytes: number): ArrayBuffer | undefined {
    const i = this.free.findIndex((b) => b.byteLength === bytes);
    return i < 0 ? undefined : this.free.splice(i, 1)[0];
  }
}
