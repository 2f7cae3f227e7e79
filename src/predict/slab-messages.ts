/** Messages between `mlpack predict` and its worker threads (slab-pool.ts, slab-worker.ts). */
import type { Tensor } from "../serve/datatypes.js";

export interface SlabInit {
  model: string;
  /** onnxruntime intra-op threads; 0: its default. */
  intraOpThreads: number;
  /** Rows per session.run. */
  batchSize: number;
}

export type SlabRequest = { type: "run"; job: number; feeds: Record<string, Tensor> } | { type: "close" };

export type SlabReply =
  | { type: "ready" }
  | { type: "init-error"; message: string }
  | { type: "result"; job: number; outputs: Record<string, Tensor> }
  | { type: "error"; job: number; message: string };
