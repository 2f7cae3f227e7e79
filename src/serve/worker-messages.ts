/** Messages between the worker pool and its ort-worker threads. */
import type { Tensor } from "./datatypes.js";

export interface WorkerInit {
  models: { id: string; path: string }[];
  intraOpThreads: number;
}

/** What a worker thread is started with: WorkerInit, and its retire flag (see WorkerPool.abandon). */
export interface WorkerStart extends WorkerInit {
  /** An Int32Array's buffer: [0] becomes 1 when the pool gives up on this worker. */
  retire: SharedArrayBuffer;
}

export type WorkerRequest =
  | { type: "run"; job: number; model: string; feeds: Record<string, Tensor> }
  | { type: "close" }
  | { type: "retire" };

export type WorkerReply =
  | { type: "ready" }
  | { type: "init-error"; message: string }
  | { type: "result"; job: number; outputs: Record<string, Tensor>; computeMs: number }
  | { type: "error"; job: number; message: string };
