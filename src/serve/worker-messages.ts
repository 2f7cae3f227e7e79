/** Messages between the worker pool and its ort-worker threads. */
import type { Tensor } from "./datatypes.js";

export interface WorkerInit {
  models: { id: string; path: string }[];
  intraOpThreads: number;
}

export type WorkerRequest =
  { type: "run"; job: number; model: string; feeds: Record<string, Tensor> } | { type: "close" };

export type WorkerReply =
  | { type: "ready" }
  | { type: "init-error"; message: string }
  | { type: "result"; job: number; outputs: Record<string, Tensor>; computeMs: number }
  | { type: "error"; job: number; message: string };
