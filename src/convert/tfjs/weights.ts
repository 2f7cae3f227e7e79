/**
 * The weights manifest and its shard files: every Const node's value, in node order, concatenated and
 * cut into shards (4 MiB by default, the largest size browsers cache) named group1-shardKofN.bin, as
 * tensorflowjs_converter's write_weights.py lays them out.
 */
import type { WeightEntry } from "./graph-builder.js";
import { quantizeWeight, type ManifestQuantization } from "./quantize-weights.js";
import type { QuantizeMode } from "./types.js";

export const DEFAULT_SHARD_BYTES = 4 * 1024 * 1024;

export interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: "float32" | "int32" | "bool";
  quantization?: ManifestQuantization;
}

export interface WeightsManifestGroup {
  paths: string[];
  weights: ManifestWeight[];
}

export interface WeightShards {
  manifest: WeightsManifestGroup[];
  /** Shard file name -> its bytes (views into the weights where possible, nothing copied twice). */
  shards: { name: string; chunks: Uint8Array[] }[];
  totalBytes: number;
  quantized: number;
}

function bytesOf(w: WeightEntry): Uint8Array {
  return new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength);
}

export function buildWeightShards(
  weights: readonly WeightEntry[],
  opts: { shardBytes?: number; quantize?: QuantizeMode } = {},
): WeightShards {
  const shardBytes = opts.shardBytes ?? DEFAULT_SHARD_BYTES;
  const entries: ManifestWeight[] = [];
  const parts: Uint8Array[] = [];
  let quantized = 0;
  for (const w of weights) {
    const entry: ManifestWeight = { name: w.name, shape: w.shape, dtype: w.dtype };
    if (opts.quantize && w.dtype === "float32") {
      const q = quantizeWeight(w.data as Float32Array, opts.quantize);
      entry.quantization = q.quantization;
      parts.push(q.bytes);
      quantized++;
    } else {
      parts.push(bytesOf(w));
    }
    entries.push(entry);
  }
  const totalBytes = parts.reduce((s, p) => s + p.byteLength, 0);
  const n = Math.ceil(totalBytes / shardBytes);
  const shards = Array.from({ length: n }, (_, i) => ({
    name: `group1-shard${i + 1}of${n}.bin`,
    chunks: [] as Uint8Array[],
  }));
  // Walk the concatenation once, cutting at shard boundaries.
  let shard = 0;
  let room = shardBytes;
  for (const p of parts) {
    let off = 0;
    while (off < p.byteLength) {
      if (room === 0) {
        shard++;
        room = shardBytes;
      }
      const take = Math.min(room, p.byteLength - off);
      shards[shard].chunks.push(p.subarray(off, off + take));
      off += take;
      room -= take;
    }
  }
  return {
    manifest: [{ paths: shards.map((s) => s.name), weights: entries }],
    shards,
    totalBytes,
    quantized,
  };
}
