/**
 * convertToTfjs: an .onnx file -> a TF.js graph model directory (model.json + weight shards).
 * Every node that cannot be converted is reported, with its reason, before anything is written; the
 * directory is assembled under a temp name beside OUT and renamed into place when complete.
 */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { readModel, type LoadedModel } from "../../onnx/read.js";
import { modelFromProto } from "../../ir/graph.js";
import { UnsupportedOpError, UsageError, UserError } from "../../errors.js";
import { conversionHint } from "./hints.js";
import type { PrecisionChange } from "./precision.js";
import { convertGraph, type GraphIo, type UnsupportedNode } from "./convert-graph.js";
import { buildModelJson, type ModelJson } from "./model-json.js";
import { buildWeightShards, createScratch, type CompressionReport, type WeightShards } from "./weights.js";
import type { ConvertOptions, Dim, TfDtype } from "./types.js";
import { writeDirAtomically } from "../../write-atomic.js";

const pkg = createRequire(import.meta.url)("../../../package.json") as { version: string };

export interface TfjsIo {
  /** ONNX name (the signature key). */
  name: string;
  /** TF tensor name ("node:0"). */
  tensor: string;
  dtype: TfDtype;
  shape: Dim[] | undefined;
}

export interface ConvertReport {
  model: string;
  outDir: string;
  files: { name: string; bytes: number }[];
  inputs: TfjsIo[];
  outputs: TfjsIo[];
  onnxNodes: number;
  tfNodes: number;
  weights: number;
  weightBytes: number;
  /** Transpose nodes the converter added (layout changes at graph boundaries, non-constant weights). */
  transposesAdded: number;
  /** Transpose nodes the ONNX graph itself had (they become relabelled layouts, never TF ops). */
  onnxTransposes: number;
  foldedBatchNorms: number;
  /** Nodes run channels-last (Conv, pooling, ...); 0 when the graph has no conv region. */
  channelsLastOps: number;
  quantize?: ConvertOptions["quantize"];
  quantizedWeights: number;
  /** --quantize: tensors kept in float32 and why, and the worst relative error of the compressed ones. */
  compression?: CompressionReport;
  keepLayout: boolean;
  /** Types TF.js narrows (float64 -> float32, int64/uint32/uint64 -> int32), with values that do not fit. */
  precision: PrecisionChange[];
}

export class TfjsConversionError extends UnsupportedOpError {
  constructor(
    readonly model: string,
    readonly nodes: UnsupportedNode[],
    symbolicInputs = false,
  ) {
    super(
      `${model}: ${nodes.length} node${nodes.length === 1 ? "" : "s"} cannot be converted to TF.js:\n` +
        nodes.map((n) => `  node "${n.node}" (${n.opType}): ${n.reason}`).join("\n"),
      { hint: conversionHint(nodes, symbolicInputs) },
    );
  }
}

function ioOf(g: GraphIo): TfjsIo {
  return { name: g.onnxName, tensor: `${g.tfName}:0`, dtype: g.dtype, shape: g.shape };
}

export interface ConvertToTfjsOptions extends ConvertOptions {
  /** Extra entries for model.json's userDefinedMetadata. */
  metadata?: Record<string, unknown>;
}

/** Converts in memory: the model.json object and the shard files, or the unsupported-node error. */
export interface ConvertedTfjs {
  json: ModelJson;
  weights: WeightShards;
  report: ConvertReport;
}

export async function convertModelFile(
  modelPath: string,
  opts: ConvertToTfjsOptions = {},
): Promise<ConvertedTfjs> {
  return convertLoadedModel(await readModel(modelPath), opts);
}

/** Same, for a model already read (readModel / readModelFromBytes). */
export function convertLoadedModel(loaded: LoadedModel, opts: ConvertToTfjsOptions = {}): ConvertedTfjs {
  const modelPath = loaded.source;
  const model = modelFromProto(loaded.proto);
  const g = convertGraph(model, loaded, opts);
  if (g.unsupported.length > 0) throw new TfjsConversionError(modelPath, g.unsupported, g.symbolicInputs);
  if (g.outputs.length === 0)
    throw new UserError(`${modelPath}: the graph has no outputs to convert`, {
      hint: "check that the model declares its graph outputs",
    });
  const w = buildWeightShards(g.builder.weights, { shardBytes: opts.shardBytes, quantize: opts.quantize });
  const kept = w.compression?.keptFloat32 ?? [];
  if (opts.strict && kept.length > 0)
    throw new UserError(
      `${modelPath}: --quantize ${opts.quantize} cannot compress ${kept.length} weight tensor${kept.length === 1 ? "" : "s"} without changing ${kept.length === 1 ? "it" : "them"}:\n` +
        kept.map((k) => `  ${k.weight}: ${k.reason}`).join("\n"),
      {
        hint: "drop --strict to keep these tensors in float32, or choose another --quantize mode (uint8/uint16 hold tiny and large finite values)",
      },
    );
  const p = loaded.proto;
  const json = buildModelJson(g, w.manifest, {
    generatedBy: `${p.producerName || "onnx"}${p.producerVersion ? ` ${p.producerVersion}` : ""}`,
    convertedBy: `mlpack ${pkg.version}`,
    userDefinedMetadata: opts.metadata,
  });
  const report: ConvertReport = {
    model: modelPath,
    outDir: "",
    files: [],
    inputs: g.inputs.map(ioOf),
    outputs: g.outputs.map(ioOf),
    onnxNodes: model.graph.nodes.length,
    tfNodes: g.builder.nodes.length,
    weights: g.builder.weights.length,
    weightBytes: w.totalBytes,
    transposesAdded: g.builder.transposes,
    onnxTransposes: g.onnxTransposes,
    foldedBatchNorms: g.foldedBatchNorms,
    channelsLastOps: g.channelsLastOps,
    quantize: opts.quantize,
    quantizedWeights: w.quantized,
    compression: w.compression,
    keepLayout: !!opts.keepLayout,
    precision: g.precision,
  };
  return { json, weights: w, report };
}

/** `name=1,3,224,224` arguments (repeatable --shape) -> input name -> dims. */
export function parseShapeArgs(args: readonly string[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const a of args) {
    const m = /^(.+)=(\d+(?:[,x]\d+)*)$/.exec(a);
    if (!m)
      throw new UsageError(`--shape ${a}: expected NAME=D1,D2,... (e.g. input=1,3,224,224)`, {
        hint: "give one --shape per input with symbolic dims",
      });
    out[m[1]] = m[2].split(/[,x]/).map(Number);
  }
  return out;
}

/**
 * OUT may be missing, empty, or a directory mlpack wrote before (it holds every one of `markers`),
 * which is then replaced; anything else is refused rather than overwritten.
 */
export function checkReplaceableDir(outDir: string, markers: readonly string[], what: string): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(outDir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return;
    if (code === "ENOTDIR")
      throw new UserError(`${outDir} is a file, not a directory`, {
        hint: `give a directory path for the ${what}`,
      });
    throw new UserError(`cannot read ${outDir}: ${code}`, { hint: "check the permissions" });
  }
  if (entries.length > 0 && !markers.every((m) => entries.includes(m)))
    throw new UserError(
      `${outDir} exists and is not ${what === "TF.js model" ? "a TF.js model directory" : `an mlpack ${what}`}`,
      {
        hint: `choose a new or empty directory (mlpack only replaces directories that hold ${markers.join(" and ")})`,
      },
    );
}

// Moved to write-atomic.ts (shared with the kubernetes manifests); re-exported for its callers.
export { writeDirAtomically };

/** Writes model.json and the shards into `dir`; returns the files with their sizes (sorted). */
export async function writeTfjsModel(
  dir: string,
  json: ModelJson,
  w: WeightShards,
): Promise<{ name: string; bytes: number }[]> {
  const files: { name: string; bytes: number }[] = [];
  const text = JSON.stringify(json);
  await fs.promises.writeFile(path.join(dir, "model.json"), text);
  files.push({ name: "model.json", bytes: Buffer.byteLength(text) });
  const scratch = createScratch();
  let produced = -1;
  let bytes: Uint8Array | undefined;
  for (const s of w.shards) {
    const fh = await fs.promises.open(path.join(dir, s.name), "w");
    try {
      // Views go out in batches with writev (nothing concatenated); a batch is flushed before the
      // scratch buffers are reused for the next deferred weight.
      let batch: Uint8Array[] = [];
      const flush = async () => {
        for (let i = 0; i < batch.length; i += 512) await fh.writev(batch.slice(i, i + 512));
        batch = [];
      };
      for (const c of s.chunks) {
        if (c.part !== produced) {
          const p = w.parts[c.part];
          if (!ArrayBuffer.isView(p)) await flush();
          bytes = ArrayBuffer.isView(p) ? p : p.produce(scratch);
          produced = c.part;
        }
        batch.push(bytes!.subarray(c.start, c.end));
      }
      await flush();
    } finally {
      await fh.close();
    }
    files.push({ name: s.name, bytes: s.bytes });
  }
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export async function convertToTfjs(
  modelPath: string,
  outDir: string,
  opts: ConvertToTfjsOptions = {},
): Promise<ConvertReport> {
  checkReplaceableDir(outDir, ["model.json"], "TF.js model");
  const { json, weights, report } = await convertModelFile(modelPath, opts);
  let files: { name: string; bytes: number }[] = [];
  await writeDirAtomically(outDir, async (tmp) => {
    files = await writeTfjsModel(tmp, json, weights);
  });
  return { ...report, outDir, files };
}
