/** `mlpack init`: inspect a model and write a commented starter mlpack.yaml that validates. */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readModel } from "../onnx/read.js";
import { summarizeModel } from "../inspect/summary.js";
import { formatShape } from "../ir/types.js";
import { renderTemplateFile } from "../templates/render.js";
import { configProblems, parseConfigText } from "./load.js";
import { UserError } from "../errors.js";
import { writeFileAtomic } from "../write-atomic.js";
import { stringify } from "yaml";

const SCHEMA_FILE = fileURLToPath(new URL("../../schema/mlpack.schema.json", import.meta.url));

export interface InitOptions {
  /** Where to write; default ./mlpack.yaml. */
  output?: string;
  force?: boolean;
}

export interface InitResult {
  file: string;
  name: string;
  quantizeMode: string;
}

export async function initConfig(modelPath: string, opts: InitOptions = {}): Promise<InitResult> {
  const out = path.resolve(opts.output ?? "mlpack.yaml");
  if (fs.existsSync(out) && !opts.force)
    throw new UserError(`${out} already exists`, { hint: "pass --force to overwrite it" });
  const summary = summarizeModel(await readModel(modelPath));
  const name =
    path
      .basename(modelPath, ".onnx")
      .replace(/[^a-zA-Z0-9_.-]/g, "-")
      .toLowerCase() || "model";
  const count = (op: string) => summary.ops.find((o) => o.op === op)?.count ?? 0;
  const convNet = count("Conv") > count("MatMul") + count("Gemm");
  const symbolic = summary.inputs.filter((i) => i.shape?.some((d, k) => k > 0 && typeof d !== "number"));
  const shapeHint = symbolic.map(
    (i) =>
      `${i.name}=${(i.shape ?? []).map((d, k) => (typeof d === "number" ? d : k === 0 ? 1 : "N")).join(",")}`,
  );
  const io = [
    ...summary.inputs.map(
      (i) => `#   input  ${i.name}: ${i.type ?? "?"} ${formatShape(i.shape ?? undefined)}`,
    ),
    ...summary.outputs.map(
      (o) => `#   output ${o.name}: ${o.type ?? "?"} ${formatShape(o.shape ?? undefined)}`,
    ),
  ];
  io.push(
    `#   ${summary.nodeCount} nodes; top ops: ${summary.ops
      .slice(0, 5)
      .map((o) => `${o.op} ${o.count}`)
      .join(", ")}; ${summary.parameters.count} parameters`,
  );
  const modelRel = path.relative(path.dirname(out), path.resolve(modelPath)) || path.basename(modelPath);
  const text = renderTemplateFile("config/mlpack.yaml", {
    modelFile: path.basename(modelPath),
    // This installation's schema, relative to the config, so editors resolve it offline.
    schemaUrl: path.relative(path.dirname(out), SCHEMA_FILE).split(path.sep).join("/"),
    // A file name such as "net: v2.onnx" must be quoted to stay one YAML string.
    modelPath: stringify(modelRel).trimEnd(),
    name,
    modelSummary: io.join("\n"),
    quantizeMode: convNet ? "static" : "dynamic",
    quantizeExtra: convNet
      ? "  # Representative inputs: a folder of .npy/.npz/.pb/.json samples. random:N works but gives poor ranges.\n  calibration: random:32\n  method: minmax\n"
      : "",
    shapesLine: shapeHint.length
      ? `  # These inputs have symbolic dims; fill in N.\n  # shapes: [${shapeHint.join(", ")}]\n`
      : "",
    benchShapes: shapeHint.length ? `  # shapes: [${shapeHint.join(", ")}]\n` : "",
  });
  // The starter must itself be a valid config.
  const problems = configProblems(parseConfigText(text, out));
  if (problems.length) throw new Error(`internal: the generated config is invalid: ${problems.join("; ")}`);
  writeFileAtomic(out, text);
  return { file: out, name, quantizeMode: convNet ? "static" : "dynamic" };
}
