/** Text rendering of a conversion report (the CLI's default output). */
import type { ConvertReport, TfjsIo } from "./convert.js";
import { formatBytes as kib } from "../../format-bytes.js";

function io(x: TfjsIo): string {
  const shape = x.shape ? `[${x.shape.map((d) => d ?? "?").join(", ")}]` : "[unknown rank]";
  return `  ${x.name}  ${x.dtype} ${shape}  (tensor ${x.tensor})`;
}

function layout(r: ConvertReport): string {
  if (r.keepLayout) return "ONNX (--keep-layout)";
  return r.channelsLastOps > 0 ? "channels-last inside conv regions" : "ONNX layout kept (no conv regions)";
}

export function renderConvertReport(r: ConvertReport): string {
  const shards = r.files.filter((f) => f.name.endsWith(".bin"));
  const lines = [
    `${r.model} -> ${r.outDir}/model.json (TF.js graph model)`,
    `  ${r.onnxNodes} ONNX nodes -> ${r.tfNodes} TF nodes; ${r.weights} weights, ${kib(r.weightBytes)} in ${shards.length} shard${shards.length === 1 ? "" : "s"}`,
    `  layout: ${layout(r)}; Transposes added: ${r.transposesAdded}` +
      (r.onnxTransposes ? ` (the ONNX graph's own ${r.onnxTransposes} became free relabellings)` : ""),
  ];
  if (r.foldedBatchNorms) lines.push(`  BatchNormalization folded into Conv: ${r.foldedBatchNorms}`);
  if (r.quantize) lines.push(`  weights compressed to ${r.quantize}: ${r.quantizedWeights} float32 tensors`);
  lines.push("inputs:", ...r.inputs.map(io), "outputs:", ...r.outputs.map(io));
  return lines.join("\n");
}
