/** Options and records shared by the quantization passes. */
import type { QType } from "./params.js";

export type QuantizeMode = "dynamic" | "static" | "weights-only";

export interface QuantizePassOptions {
  perChannel: boolean;
  reduceRange: boolean;
  /** Node names or op types to leave in float. */
  exclude: string[];
  /** Node names --auto-exclude keeps in float to meet --max-accuracy-drop (reported apart from --exclude). */
  autoExcluded?: string[];
  /** Node name -> why it stays in float (it feeds a numerically sensitive op; see sensitive.ts). */
  keptFloat?: Record<string, string>;
  /** When non-empty, only these node names or op types are quantized. */
  include: string[];
  /** Static mode: int8 symmetric activations instead of uint8 asymmetric. */
  symmetricActivations: boolean;
  weightType: QType;
}

export interface LayerRecord {
  node: string;
  opType: string;
  weight?: string;
  weightShape?: number[];
  status: "quantized" | "skipped";
  /** Why a layer was skipped, or what was done ("per-channel int8", ...). */
  detail: string;
  /** Weight SQNR in dB (float weight vs its dequantized copy). */
  weightSqnr?: number;
}
