/**
 * The weights manifest and its shard files: every Const node's value, in node order, concatenated and
 * cut into shards (4 MiB by default, the largest size browsers cache) named group1-shardKofN.bin, as
 * tensorflowjs_converter's write_weights.py lays them out. Deferred weights (large transposed
 * constants) are produced only when their shard is written, into reused scratch buffers.
 */
import { isDeferred, type Scratch, type WeightEntry } from "./graph-builder.js";
import {
  compressionProblem,
  dequantizeWeight,
  quantizeWeight,
  relativeError,
  type ManifestQuantization,
} from "./quantize-weights.js";
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

/** One weight's bytes in the concatenation: ready, or produced on demand. */
export type WeightPart = Uint8Array | { byteLength: number; produce(scratch?: Scratch): Uint8Array };

/** A slice [start, end) of part `part` that lands in a shard. */
export interface ShardChunk {
  part: number;
  start: number;
  end: number;
}

export interface WeightShards {
  manifest: WeightsManifestGroup[];
  parts: WeightPart[];
  shards: { name: string; bytes: number; chunks: ShardChunk[] }[];
  totalBytes: number;
  quantized: number;
  /** --quantize only: what compression did, tensor by tensor. */
  compression?: CompressionReport;
}

/** Tensors left in float32 (with why) and the worst effect of compressing the others. */
export interface CompressionReport {
  mode: QuantizeMode;
  compressed: number;
  keptFloat32: { weight: string; reason: string }[];
  /** max |dequantized - original| / max |original| over the compressed tensors, and which one. */
  worstRelativeError: { weight: string; error: number } | undefined;
}

/** Little-endian float32 bytes as a Float32Array (a view when aligned, else a copy). */
function asFloat32(b: Uint8Array): Float32Array {
  if (b.byteOffset % 4 === 0) return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  return new Float32Array(new Uint8Array(b).buffer);
}

function bytesOf(d: Float32Array | Int32Array | Uint8Array): Uint8Array {
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

export function buildWeightShards(
  weights: readonly WeightEntry[],
  opts: { shardBytes?: number; quantize?: QuantizeMode } = {},
): WeightShards {
  const shardBytes = opts.shardBytes ?? DEFAULT_SHARD_BYTES;
  const entries: ManifestWeight[] = [];
  const parts: WeightPart[] = [];
  let quantized = 0;
  const keptFloat32: CompressionReport["keptFloat32"] = [];
  let worst: CompressionReport["worstRelativeError"];
  for (const w of weights) {
    const entry: ManifestWeight = { name: w.name, shape: w.shape, dtype: w.dtype };
    const d = w.data;
    const f32 =
      opts.quantize && w.dtype === "float32"
        ? isDeferred(d)
          ? asFloat32(d.produce())
          : (d as Float32Array)
        : undefined;
    const problem = f32 && compressionProblem(f32, opts.quantize!);
    const label = w.origin ? `${w.name} (ONNX "${w.origin}")` : w.name;
    if (problem) keptFloat32.push({ weight: label, reason: problem });
    if (f32 && !problem) {
      const q = quantizeWeight(f32, opts.quantize!);
      const error = relativeError(f32, dequantizeWeight(q, f32.length));
      if (!worst || error > worst.error) worst = { weight: label, error };
      entry.quantization = q.quantization;
      parts.push(q.bytes);
      quantized++;
    } else if (f32) {
      parts.push(isDeferred(d) ? d : bytesOf(f32));
    } else {
      parts.push(isDeferred(w.data) ? w.data : bytesOf(w.data));
    }
    entries.push(entry);
  }
  const totalBytes = parts.reduce((s, p) => s + p.byteLength, 0);
  const n = Math.ceil(totalBytes / shardBytes);
  const shards = Array.from({ length: n }, (_, i) => ({
    name: `group1-shard${i + 1}of${n}.bin`,
    bytes: 0,
    chunks: [] as ShardChunk[],
  }));
  // Walk the concatenation once, cutting at shard boundaries.
  let shard = 0;
  let room = shardBytes;
  parts.forEach((p, part) => {
    let off = 0;
    while (off < p.byteLength) {
      if (room === 0) {
        shard++;
        room = shardBytes;
      }
      const take = Math.min(room, p.byteLength - off);
      shards[shard].chunks.push({ part, start: off, end: off + take });
      shards[shard].bytes += take;
      off += take;
      room -= take;
    }
  });
  return {
    manifest: [{ paths: shards.map((s) => s.name), weights: entries }],
    parts,
    shards,
    totalBytes,
    quantized,
    compression: opts.quantize
      ? { mode: opts.quantize, compressed: quantized, keptFloat32, worstRelativeError: worst }
      : undefined,
  };
}

/** Reused float32 buffers for producing deferred weights (grown to the largest weight). */
export function createScratch(): Scratch {
  const bufs: [Float32Array, Float32Array] = [new Float32Array(0), new Float32Array(0)];
  return {
    get(slot, elements) {
      if (bufs[slot].length < elements) bufs[slot] = new Float32Array(elements);
      return bufs[slot].subarray(0, elements);
    },
  };
}

/** One shard's bytes in a fresh buffer (in-memory use: tests, bundles served from memory). */
export function shardBytes(w: WeightShards, name: string): Uint8Array {
  const s = w.shards.find((x) => x.name === name);
  if (!s) throw new Error(`no shard ${name}`);
  const out = new Uint8Array(s.bytes);
  let off = 0;
  for (const c of s.chunks) {
    const p = w.parts[c.part];
    const b = ArrayBuffer.isView(p) ? p : p.produce();
    out.set(b.subarray(c.start, c.end), off);
    off += c.end - c.start;
  }
  return out;
}
