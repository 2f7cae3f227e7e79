/** Messages between `mlpack predict` and its worker threads (slab-pool.ts, slab-worker.ts). */
import type { Tensor } from "../serve/datatypes.js";
import type { TensorSpec } from "../serve/model-info.js";

export interface SlabInit {
  model: string;
  /** onnxruntime intra-op threads; 0: its default. */
  intraOpThreads: number;
}

export type SlabRequest =
  /** batchSize: rows per session.run (known only once the model's inputs are). */
  { type: "run"; job: number; feeds: Record<string, Tensor>; batchSize: number } | { type: "close" };

export type SlabReply =
  /** The model's inputs and outputs as onnxruntime loaded them (so the main thread never parses it). */
  | { type: "ready"; inputs: TensorSpec[]; outputs: TensorSpec[] }
  | { type: "init-error"; message: string }
  /** inputs: the slab's input buffers, handed back for the next slabs (fresh memory is slow to touch). */
  | { type: "result"; job: number; outputs: Record<string, Tensor>; inputs: ArrayBuffer[] }
  | { type: "error"; job: number; message: string };
