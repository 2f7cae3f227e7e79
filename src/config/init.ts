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
import { modelInputs, parseShapes, randomSamples } from "../data/samples.js";
import { chooseShapes, type ChosenShape } from "../data/default-shapes.js";
import type { ModelProto } from "../onnx/proto.js";
import { findSamples } from "./init-samples.js";

const SCHEMA_FILE = fileURLToPath(new URL("../../schema/mlpack.schema.json", import.meta.url));

export interface InitOptions {
  /** Where to write; default ./mlpack.yaml. */
  output?: string;
  force?: boolean;
  /** NAME=DIMS for inputs with symbolic dims (otherwise the documented defaults of chooseShapes). */
  shapes?: string[];
  /** Write targets.docker.fromScratch: true (no base image to fetch: builds offline). */
  fromScratch?: boolean;
}

export interface InitResult {
  file: string;
  name: string;
  quantizeMode: string;
  /** The concrete shapes written to the config (inputs with symbolic dims only). */
  shapes: string[];
  /** The samples folder found next to the model, if any. */
  samples?: string;
}

export async function initConfig(modelPath: string, opts: InitOptions = {}): Promise<InitResult> {
  const out = path.resolve(opts.output ?? "mlpack.yaml");
  if (fs.existsSync(out) && !opts.force)
    throw new UserError(`${out} already exists`, { hint: "pass --force to overwrite it" });
  const loaded = await readModel(modelPath);
  const summary = summarizeModel(loaded);
  const name =
    path
      .basename(modelPath, ".onnx")
      .replace(/[^a-zA-Z0-9_.-]/g, "-")
      .toLowerCase() || "model";
  const count = (op: string) => summary.ops.find((o) => o.op === op)?.count ?? 0;
  const convNet = count("Conv") > count("MatMul") + count("Gemm");
  const shapes = chooseShapes(modelInputs(loaded.proto), parseShapes(opts.shapes));
  const stated = shapes.filter((c) => c.symbolic).map((c) => `${c.name}=${c.dims.join(",")}`);
  // The chosen shapes must run: a default the model rejects is reported here, not at build time.
  await checkShapesRun(modelPath, loaded.proto, stated);
  const samples = findSamples(modelPath);
  const tfjsTarget = await tfjsTargetBlock(
    modelPath,
    Object.fromEntries(shapes.map((c) => [c.name, c.dims])),
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
    quantizeExtra: quantizeExtra(convNet, samples && configRel(out, samples.dir)),
    gateBlock:
      gateBlock(samples && configRel(out, samples.dir)) + (samples ? sampleOptionsBlock(samples.kinds) : ""),
    shapesLine: stated.length
      ? `  # Symbolic dims made concrete (${shapeSourceNote(shapes)}); change them to your input size.\n  shapes: ${JSON.stringify(stated)}\n`
      : "",
    benchShapes: stated.length ? `  shapes: ${JSON.stringify(stated)}\n` : "",
    tfjsTarget,
    dockerBase: opts.fromScratch
      ? "    # No base image: this machine's node binary and the libraries it links (offline-safe).\n    fromScratch: true\n"
      : "    # base: node:20-bookworm-slim      # or an OCI layout directory / docker-archive tarball\n",
  });
  // The starter must itself be a valid config.
  const problems = configProblems(parseConfigText(text, out));
  if (problems.length) throw new Error(`internal: the generated config is invalid: ${problems.join("; ")}`);
  writeFileAtomic(out, text);
  return {
    file: out,
    name,
    quantizeMode: convNet ? "static" : "dynamic",
    shapes: stated,
    samples: samples?.dir,
  };
}

const configRel = (configFile: string, p: string) =>
  (path.relative(path.dirname(configFile), p) || ".").split(path.sep).join("/") + "/";

function shapeSourceNote(shapes: ChosenShape[]): string {
  return shapes.some((s) => s.source === "default")
    ? "mlpack init's defaults: batch 1, image sides 224, sequences 512 (float) or 128 (tokens); `mlpack init --shape NAME=DIMS` picks others"
    : "from --shape";
}

function quantizeExtra(convNet: boolean, samples: string | undefined): string {
  if (!convNet) return "";
  return samples
    ? `  # Representative inputs found next to the model.\n  calibration: ${JSON.stringify(samples)}\n  method: minmax\n`
    : "  # Representative inputs: a folder of images (.png/.jpg), audio (.wav) or .npy/.npz/.pb/.json samples.\n  # random:N runs, but its activation ranges do not match real inputs.\n  calibration: random:32\n  method: minmax\n";
}

function gateBlock(samples: string | undefined): string {
  const explain =
    "  # Fail the build (exit 3) when accuracy drops by more than this (1 - cosine, or 1 - top-1 agreement),\n" +
    "  # measured on `eval` samples. autoExclude keeps the layers that cost the most accuracy in float.\n";
  if (samples)
    return `${explain}  eval: ${JSON.stringify(samples)}\n  maxAccuracyDrop: 0.01\n  autoExclude: true\n`;
  return (
    explain +
    "  # No samples/ folder was found next to the model, so the gate is off: a drop measured on random\n" +
    "  # inputs is not evidence (mlpack refuses to gate on it). Point eval at real inputs, then uncomment:\n" +
    "  # eval: samples/\n  # maxAccuracyDrop: 0.01\n  # autoExclude: true\n"
  );
}

/** The tfjs target, or why it is left out: a config must not name a target the model cannot build. */
async function tfjsTargetBlock(modelPath: string, shapes: Record<string, number[]>): Promise<string> {
  const { validate } = await import("../api.js");
  const report = await validate(modelPath, { target: "tfjs", shapes });
  if (report.valid) return "  tfjs:\n    quantize: float16\n";
  const first = report.diagnostics.find((d) => d.severity === "error");
  const why = first ? `${first.node ? `${first.node.opType} ` : ""}${first.message}` : "validation errors";
  return `  # tfjs: left out, the TF.js converter cannot take this model (${why.replace(/\s+/g, " ")}; see \`mlpack validate --target tfjs\`)\n  # tfjs:\n  #   quantize: float16\n`;
}

/** The image/audio decoding defaults, written out so the user sees what to change. */
function sampleOptionsBlock(kinds: Set<string>): string {
  if (!kinds.has("image") && !kinds.has("audio")) return "";
  let text = "  # How image and WAV files become input tensors (these are the defaults).\n  samples:\n";
  if (kinds.has("image"))
    text +=
      "    image:\n      # Stretched to the input's height x width; value = (pixel / scale - mean) / std per channel.\n" +
      "      colorOrder: RGB\n      scale: 255\n      mean: [0, 0, 0]\n      std: [1, 1, 1]\n      # layout: NCHW   # default: NCHW when axis 1 has 1 or 3 channels, else NHWC\n";
  if (kinds.has("audio"))
    text +=
      "    audio:\n      # Mono WAV (PCM or float) at this rate; long files give several windows.\n      sampleRate: 16000\n      resample: false\n";
  return text;
}

/** Runs the model once on random inputs of the chosen shapes, so init never writes shapes that fail. */
async function checkShapesRun(modelPath: string, proto: ModelProto, stated: string[]): Promise<void> {
  const { openSession, runSample } = await import("../runtime/ort.js");
  const session = await openSession(modelPath);
  try {
    const [sample] = randomSamples(proto, 1, parseShapes(stated));
    await runSample(session, sample);
  } catch (e) {
    throw new UserError(
      `${modelPath} does not run with the input shapes ${stated.join(" ") || "in the model"}: ${(e as Error).message}`,
      {
        hint: "give the shapes your inputs have with `mlpack init MODEL --shape NAME=D1,D2,...` (repeatable)",
      },
    );
  } finally {
    await session.release();
  }
}
