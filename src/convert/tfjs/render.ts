/** Text rendering of a conversion report (the CLI's default output). */
import type { ConvertReport, TfjsIo } from "./convert.js";
import type { CompressionReport } from "./weights.js";

function kib(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

function io(x: TfjsIo): string {
  const shape = x.shape ? `[${x.shape.map((d) => d ?? "?").join(", ")}]` : "[unknown rank]";
  return `  ${x.name}  ${x.dtype} ${shape}  (tensor ${x.tensor})`;
}

function layout(r: ConvertReport): string {
  if (r.keepLayout) return "ONNX (--keep-layout)";
  return r.channelsLastOps > 0 ? "channels-last inside conv regions" : "ONNX layout kept (no conv regions)";
}

function compression(c: CompressionReport): string[] {
  const worst = c.worstRelativeError;
  const lines = [
    `  weights compressed to ${c.mode}: ${c.compressed} float32 tensors` +
      (worst
        ? `; worst relative error ${worst.error.toPrecision(2)} (${worst.weight}, max |dequantized - original| / max |original|)`
        : ""),
  ];
  if (c.keptFloat32.length) {
    lines.push(`  kept in float32 (${c.mode} would change them; --strict refuses instead):`);
    for (const k of c.keptFloat32) lines.push(`    ${k.weight}: ${k.reason}`);
  }
  return lines;
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
  if (r.compression) lines.push(...compression(r.compression));
  lines.push("inputs:", ...r.inputs.map(io), "outputs:", ...r.outputs.map(io));
  return lines.join("\n");
}
