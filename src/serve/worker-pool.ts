/**
 * A fixed set of worker threads, each holding one onnxruntime session per model. The scheduler hands a
 * worker one batch at a time, plus at most one more queued behind it: the queued batch starts the moment
 * the first finishes, without waiting for the HTTP thread to notice and dispatch (that gap cost a fifth
 * of the worker's time under load). `onIdle` tells the scheduler when a slot frees. A worker that dies
 * fails its jobs with a 500 and is replaced.
 *
 * Compute deadline (--request-timeout-ms): a run still going at the deadline fails with `timeout`, its
 * worker leaves the pool at once and a replacement starts. onnxruntime cannot interrupt a run, so the
 * old thread is told to terminate and stops when the run returns; until then it counts as an exit
 * blocker (see exit-blockers.ts).
 */
import { Worker } from "node:worker_threads";
import { UserError } from "../errors.js";
import { workerEntry } from "../worker-entry.js";
import { exitBlockers } from "../exit-blockers.js";
import type { Logger } from "../log.js";
import type { Tensor } from "./datatypes.js";
import type { WorkerInit, WorkerReply, WorkerRequest, WorkerStart } from "./worker-messages.js";

export interface WorkerPoolOptions extends WorkerInit {
  size: number;
  logger: Logger;
  /** Called whenever a worker becomes free. */
  onIdle: () => void;
  /** Longest a run may take before its worker is replaced; 0: no limit. */
  requestTimeoutMs?: number;
  /** Called when a run passes the deadline (for metrics). */
  onTimeout?: () => void;
}

/**
 * Why a job failed, for the scheduler to decide what the callers hear. `error`: onnxruntime refused
 * the inputs (the message may quote the batch's values, so it is never shown to a batch's callers
 * as is); `died`: the worker thread exited; `timeout`: the run passed --request-timeout-ms; `lost`: the
 * job was queued behind a timed-out run on a worker that had to be replaced, and never started.
 */
export class RunFailed extends Error {
  constructor(
    readonly kind: "error" | "died" | "timeout" | "lost",
    message: string,
  ) {
    super(message);
  }
}

export interface PoolResult {
  outputs: Record<string, Tensor>;
  computeMs: number;
}

interface PendingJob {
  id: number;
  resolve: (r: PoolResult) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  /** The worker's retire flag (WorkerStart.retire). */
  retire: Int32Array;
  /** Jobs sent and not yet answered, oldest (running) first; at most PIPELINE_DEPTH. */
  jobs: PendingJob[];
  /** The running job's deadline. */
  deadline?: NodeJS.Timeout;
}

const PIPELINE_DEPTH = 2;

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private nextJob = 1;
  private closing = false;
  /** Workers being started (at start-up or to replace one). */
  private starting = 0;
  /** Replaced workers whose thread has not stopped yet. */
  private stuck = 0;

  private constructor(private readonly opts: WorkerPoolOptions) {}

  static async start(opts: WorkerPoolOptions): Promise<WorkerPool> {
    // onnxruntime's telemetry warns "No readable CA bundle" on every start in slim images and would
    // upload usage data where it can; the user's own setting wins.
    process.env.ORT_DISABLE_TELEMETRY ??= "1";
    const pool = new WorkerPool(opts);
    const started = await Promise.allSettled(Array.from({ length: opts.size }, () => pool.spawn()));
    const failed = started.find((r) => r.status === "rejected");
    if (failed) {
      await pool.close();
      throw (failed as PromiseRejectedResult).reason;
    }
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  /** Workers being started to replace ones that died or timed out, and old threads not yet stopped. */
  get replacing(): { starting: number; stuck: number } {
    return { starting: this.starting, stuck: this.stuck };
  }

  /** Workers with nothing to do. */
  get idle(): number {
    let n = 0;
    for (const s of this.slots) if (s.jobs.length === 0) n++;
    return n;
  }

  /** Busy workers that can take one more job, to start as soon as the running one ends. */
  get spare(): number {
    let n = 0;
    for (const s of this.slots) if (s.jobs.length > 0 && s.jobs.length < PIPELINE_DEPTH) n++;
    return n;
  }

  /** Runs one batch, on an idle worker if any, else queued behind a busy one; callers check first. */
  run(model: string, feeds: Record<string, Tensor>): Promise<PoolResult> {
    const slot =
      this.slots.find((s) => s.jobs.length === 0) ?? this.slots.find((s) => s.jobs.length < PIPELINE_DEPTH);
    if (!slot) return Promise.reject(new Error("WorkerPool.run called with every worker full"));
    return new Promise<PoolResult>((resolve, reject) => {
      const job: PendingJob = { id: this.nextJob++, resolve, reject };
      slot.jobs.push(job);
      if (slot.jobs.length === 1) this.armDeadline(slot);
      const transfer: ArrayBuffer[] = [];
      for (const t of Object.values(feeds))
        if (!Array.isArray(t.data) && t.data.buffer instanceof ArrayBuffer) transfer.push(t.data.buffer);
      const msg: WorkerRequest = { type: "run", job: job.id, model, feeds };
      slot.worker.postMessage(msg, transfer);
    });
  }

  /**
   * Asks every worker to finish its job and exit; after `graceMs` the rest are terminated without
   * waiting (a thread inside a run cannot stop until the run returns). Resolves within `graceMs`
   * plus a moment, with the number of threads still running.
   */
  async close(graceMs = 5000): Promise<{ stuck: number }> {
    this.closing = true;
    await Promise.all(
      this.slots.splice(0).map(
        (s) =>
          new Promise<void>((resolve) => {
            clearTimeout(s.deadline);
            const force = setTimeout(() => {
              this.abandon(s);
              resolve();
            }, graceMs);
            s.worker.once("exit", () => {
              clearTimeout(force);
              resolve();
            });
            s.worker.postMessage({ type: "close" } satisfies WorkerRequest);
          }),
      ),
    );
    return { stuck: this.stuck };
  }

  /** Starts the running job's clock. */
  private armDeadline(slot: Slot): void {
    clearTimeout(slot.deadline);
    const ms = this.opts.requestTimeoutMs ?? 0;
    if (ms <= 0 || slot.jobs.length === 0) return;
    slot.deadline = setTimeout(() => this.timedOut(slot, ms), ms);
  }

  /** The running job passed the deadline: answer it, take the worker out, start another. */
  private timedOut(slot: Slot, ms: number): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    const [running, ...queued] = slot.jobs.splice(0);
    running?.reject(
      new RunFailed("timeout", `the model ran past the ${ms} ms compute deadline (--request-timeout-ms)`),
    );
    for (const job of queued)
      job.reject(
        new RunFailed(
          "lost",
          "the worker this request waited for was replaced after another request timed out",
        ),
      );
    this.opts.onTimeout?.();
    this.opts.logger.error(
      `a run passed the ${ms} ms compute deadline; replacing its worker (the old thread stops when onnxruntime returns)`,
    );
    this.abandon(slot);
    this.replace();
  }

  /**
   * Gives up on a worker without waiting: its thread stops itself as soon as onnxruntime returns (the
   * retire flag, read before and after every run; Worker#terminate during a native run aborts the
   * process when the run returns, see ort-worker.ts). It blocks exit until its thread has stopped.
   */
  private abandon(slot: Slot): void {
    const worker = slot.worker;
    const t0 = performance.now();
    this.stuck++;
    exitBlockers.add();
    worker.once("exit", () => {
      this.stuck--;
      exitBlockers.remove();
      if (!this.closing)
        this.opts.logger.info(
          `a replaced worker's run returned after ${Math.round(performance.now() - t0)} ms more; its thread has stopped`,
        );
    });
    worker.removeAllListeners("message");
    Atomics.store(slot.retire, 0, 1);
    worker.postMessage({ type: "retire" } satisfies WorkerRequest);
  }

  private replace(): void {
    if (this.closing) return;
    this.starting++;
    this.spawn()
      .catch((e) => this.opts.logger.error(`could not replace the worker: ${(e as Error).message}`))
      .finally(() => this.starting--);
  }

  private spawn(): Promise<void> {
    const { filename, options } = workerEntry(import.meta.url, "ort-worker");
    const retire = new SharedArrayBuffer(4);
    const init: WorkerStart = { models: this.opts.models, intraOpThreads: this.opts.intraOpThreads, retire };
    const worker = new Worker(filename, { ...options, workerData: init });
    const slot: Slot = { worker, retire: new Int32Array(retire), jobs: [] };
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on("message", (msg: WorkerReply) => {
        if (msg.type === "ready") {
          ready = true;
          this.slots.push(slot);
          resolve();
          this.opts.onIdle();
        } else if (msg.type === "init-error") {
          reject(
            new UserError(`onnxruntime cannot load the model: ${msg.message}`, {
              hint: "check the model with `mlpack validate MODEL --target ort-cpu`",
            }),
          );
          void worker.terminate();
        } else {
          const i = slot.jobs.findIndex((j) => j.id === msg.job);
          if (i < 0) return;
          const [job] = slot.jobs.splice(i, 1);
          if (i === 0) this.armDeadline(slot);
          if (msg.type === "result") job.resolve({ outputs: msg.outputs, computeMs: msg.computeMs });
          else job.reject(new RunFailed("error", msg.message));
          this.opts.onIdle();
        }
      });
      const died = (why: string) => {
        if (!ready) return reject(new UserError(`a serve worker failed to start: ${why}`));
        const i = this.slots.indexOf(slot);
        if (i < 0) return; // already closed, or replaced after a timeout
        this.slots.splice(i, 1);
        clearTimeout(slot.deadline);
        for (const job of slot.jobs.splice(0))
          job.reject(new RunFailed("died", `the worker running this request died: ${why}`));
        if (this.closing) return;
        this.opts.logger.error(`serve worker died (${why}); starting a replacement`);
        this.replace();
      };
      worker.on("error", (e) => died(e.message));
      worker.on("exit", (code) => died(`exit code ${code}`));
    });
  }
}
