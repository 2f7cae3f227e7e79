/** Text rendering of a conversion report (the CLI's default output). */
import type { ConvertReport, TfjsIo } from "./convert.js";
import { formatBytes as kib } from "../../format-bytes.js";
import type { CompressionReport } from "./weights.js";

function io(x: TfjsIo): string {
  const shape = x.shape ? `[${x.shape.map((d) => d ?? "?").join(", ")}]` : "[unknown rank]";
  return `  ${x.name}  ${x.dtype} ${shape}  (tensor ${x.tensor})`;
}

function layout(r: ConvertReport): string {
  if (r.keepLayout) return "ONNX (--keep-layout)";
  return r.channelsLastOps > 0 ? "channels-last inside conv regions" : "ONNX layout kept (no conv regions)";
}

/** I/O one by one; initializers counted per type change, named only when values do not fit. */
function precision(changes: ConvertReport["precision"]): string[] {
  if (changes.length === 0) return [];
  const lines = ["  precision changes (TF.js has no 64-bit types):"];
  for (const c of changes.filter((x) => x.kind !== "initializer"))
    lines.push(`    ${c.kind} ${c.name}: ${c.from} -> ${c.to} (the caller feeds/reads ${c.to})`);
  const inits = changes.filter((x) => x.kind === "initializer");
  const groups = new Map<string, number>();
  for (const c of inits) groups.set(`${c.from} -> ${c.to}`, (groups.get(`${c.from} -> ${c.to}`) ?? 0) + 1);
  for (const [change, n] of groups) lines.push(`    ${n} initializer${n === 1 ? "" : "s"} ${change}`);
  for (const c of inits.filter((x) => x.outOfRange))
    lines.push(
      `    initializer ${c.name}: ${c.outOfRange} value${c.outOfRange === 1 ? "" : "s"} outside the ${c.to} range (clamped by the op reading it at conversion time, e.g. Slice ends)`,
    );
  return lines;
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
  lines.push(...precision(r.precision));
  lines.push("inputs:", ...r.inputs.map(io), "outputs:", ...r.outputs.map(io));
  return lines.join("\n");
}
