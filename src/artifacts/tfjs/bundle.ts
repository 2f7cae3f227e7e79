/**
 * The tfjs target: a static folder that runs the model in the browser with no network beyond its own
 * origin: model/ (the converted graph model), tf.min.js copied from the installed @tensorflow/tfjs (an
 * optional peer dependency), mlpack-model.js (a loader keyed by the ONNX input/output names),
 * index.html (a demo page) and a README snippet. Written to a temp directory and renamed into place when complete.
 */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { UserError } from "../../errors.js";
import type { TfjsTargetConfig } from "../../build/targets/tfjs/config.js";
import {
  checkReplaceableDir,
  convertModelFile,
  TfjsConversionError,
  writeDirAtomically,
  writeTfjsModel,
  type ConvertReport,
  type TfjsIo,
} from "../../convert/tfjs/convert.js";
import { renderTemplateFile } from "../../templates/render.js";
import { formatBytes } from "../../format-bytes.js";
import { planDemo, type DemoPlan } from "./demo-kind.js";

const require = createRequire(import.meta.url);
const pkg = require("../../../package.json") as {
  version: string;
  peerDependencies?: Record<string, string>;
};

export interface TfjsBundleOptions extends TfjsTargetConfig {
  /** Name shown on the page and in the README (default: the model file name without .onnx). */
  name?: string;
  /** Concrete sizes for inputs with symbolic dims (the demo page feeds these shapes). */
  inputShapes?: Record<string, number[]>;
  /** A text file with one class label per line: the demo page's top-k lists name classes with them. */
  labels?: string;
}

export interface TfjsBundleReport {
  outDir: string;
  files: { name: string; bytes: number }[];
  totalBytes: number;
  tfjsVersion: string;
  conversion: ConvertReport;
}

/** The @tensorflow/tfjs range mlpack's converter targets (its optional peer dependency). */
const TFJS_RANGE = pkg.peerDependencies?.["@tensorflow/tfjs"] ?? "4";

/**
 * The installed @tensorflow/tfjs: its version and the path of the browser bundle. It is an optional
 * peer dependency (272 MB installed, needed only for this copy), so a user who never builds a TF.js
 * bundle does not install it.
 */
export function bundledTfjs(resolve: (id: string) => string = (id) => require.resolve(id)): {
  version: string;
  minJs: string;
} {
  let pkgPath: string;
  try {
    pkgPath = resolve("@tensorflow/tfjs/package.json");
  } catch {
    throw new UserError(
      "the tfjs target needs @tensorflow/tfjs (an optional dependency of mlpack, not installed)",
      {
        hint: `install it next to mlpack: npm install @tensorflow/tfjs@${TFJS_RANGE} (the bundle ships its tf.min.js); or remove targets.tfjs from the config`,
      },
    );
  }
  const { version } = JSON.parse(fs.readFileSync(pkgPath, "utf8")) as { version: string };
  const minJs = path.join(path.dirname(pkgPath), "dist", "tf.min.js");
  if (!fs.existsSync(minJs))
    throw new UserError(`${minJs} is missing`, { hint: "reinstall @tensorflow/tfjs (npm install)" });
  return { version, minJs };
}

const BUNDLE_MARKERS = ["mlpack-model.js", "index.html"];

function shapeText(io: TfjsIo): string {
  return io.shape ? `[${io.shape.map((d) => (d === null ? "?" : d)).join(", ")}]` : "[unknown rank]";
}

function exampleFeed(inputs: TfjsIo[]): string {
  const parts = inputs.map((io) => {
    const shape = (io.shape ?? [1]).map((d) => d ?? 1);
    const n = shape.reduce((a, b) => a * b, 1);
    const ctor = io.dtype === "float32" ? "Float32Array" : io.dtype === "int32" ? "Int32Array" : "Uint8Array";
    return `${JSON.stringify(io.name)}: { data: new ${ctor}(${n}), shape: [${shape.join(", ")}] }`;
  });
  return `{ ${parts.join(", ")} }`;
}

/** The I/O specs the page reads; `feed` is the shape the demo feeds (symbolic dims given sizes). */
function ioJson(list: TfjsIo[], feeds: Record<string, number[]> = {}): string {
  return JSON.stringify(
    list.map((io) => ({
      name: io.name,
      dtype: io.dtype,
      shape: io.shape ?? null,
      feed: feeds[io.name] ?? io.shape?.map((d) => d ?? 1) ?? null,
    })),
  );
}

/** One label per line (a trailing empty line ignored), one per class of some [batch, classes] output. */
function readLabels(file: string, plan: DemoPlan): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new UserError(`cannot read the labels file ${file}`, {
      hint: "give a text file with one class label per line (targets.tfjs.labels, relative to the config file)",
    });
  }
  const labels = text.replace(/\r\n/g, "\n").split("\n");
  if (labels[labels.length - 1] === "") labels.pop();
  const classes = plan.outputs.flatMap((o) => (o.kind === "topk" ? [o.classes] : []));
  if (!classes.includes(labels.length))
    throw new UserError(
      `${file} has ${labels.length} labels but ${classes.length === 0 ? "no output is [batch, classes]" : `the model's class scores have ${classes.join(" or ")} classes`}`,
      { hint: "give one label per class, in class-index order, for a model with a [batch, classes] output" },
    );
  return labels;
}

/** The page's plan as a script literal: `<` escaped so no label can close the <script> element. */
function demoJson(plan: DemoPlan, labels: string[] | null): string {
  return JSON.stringify({ ...plan, labels }).replace(/</g, "\\u003c");
}

export async function buildTfjsBundle(
  modelPath: string,
  outDir: string,
  opts: TfjsBundleOptions = {},
): Promise<TfjsBundleReport> {
  checkReplaceableDir(outDir, BUNDLE_MARKERS, "TF.js bundle");
  const tfjs = bundledTfjs();
  const convertOpts = { keepLayout: opts.keepLayout, quantize: opts.quantize };
  // The given sizes are checked (and always the demo page's feed shapes), but symbolic dims stay
  // symbolic in model.json where the graph allows: frozen only when some op needs static sizes.
  let converted = await convertModelFile(modelPath, { ...convertOpts, inputShapes: opts.inputShapes });
  if (opts.inputShapes && Object.keys(opts.inputShapes).length > 0) {
    try {
      converted = await convertModelFile(modelPath, convertOpts);
    } catch (e) {
      if (!(e instanceof TfjsConversionError)) throw e;
    }
  }
  const { json, weights, report } = converted;
  const name = opts.name ?? path.basename(modelPath).replace(/\.onnx$/i, "");
  const shardFiles = weights.shards.length;
  const plan = planDemo(report.inputs, report.outputs, opts.inputShapes);
  const labels = opts.labels ? readLabels(opts.labels, plan) : null;
  const values = {
    modelName: name,
    mlpackVersion: pkg.version,
    tfjsVersion: tfjs.version,
    inputsJson: ioJson(report.inputs, opts.inputShapes),
    outputsJson: ioJson(report.outputs),
    demoJson: demoJson(plan, labels),
    ioList: [
      ...report.inputs.map((io) => `- input \`${io.name}\`: ${io.dtype} ${shapeText(io)}`),
      ...report.outputs.map((io) => `- output \`${io.name}\`: ${io.dtype} ${shapeText(io)}`),
    ].join("\n"),
    exampleFeed: exampleFeed(report.inputs),
    layoutNote: report.keepLayout
      ? "Tensors keep the ONNX layout (converted with --keep-layout)."
      : "Tensors keep the ONNX layout (NCHW for images): the converted graph switches to channels-last inside and back, so feed exactly what the ONNX model takes.",
    weightsNote:
      `${report.weights} weights, ${formatBytes(report.weightBytes)} in ${shardFiles} shard file${shardFiles === 1 ? "" : "s"}` +
      (opts.quantize ? `, compressed to ${opts.quantize} (tfjs restores float32 when loading).` : "."),
  };
  const pick = (keys: (keyof typeof values)[]) => Object.fromEntries(keys.map((k) => [k, values[k]]));
  const rendered: [string, string][] = [
    [
      "index.html",
      renderTemplateFile("tfjs/index.html", pick(["modelName", "mlpackVersion", "tfjsVersion", "demoJson"])),
    ],
    [
      "mlpack-model.js",
      renderTemplateFile(
        "tfjs/mlpack-model.js",
        pick(["modelName", "mlpackVersion", "tfjsVersion", "inputsJson", "outputsJson"]),
      ),
    ],
    [
      "README.md",
      renderTemplateFile(
        "tfjs/README.md",
        pick([
          "modelName",
          "mlpackVersion",
          "tfjsVersion",
          "weightsNote",
          "exampleFeed",
          "ioList",
          "layoutNote",
        ]),
      ),
    ],
  ];
  const files: { name: string; bytes: number }[] = [];
  await writeDirAtomically(outDir, async (tmp) => {
    const modelDir = path.join(tmp, "model");
    await fs.promises.mkdir(modelDir);
    for (const f of await writeTfjsModel(modelDir, json, weights))
      files.push({ ...f, name: `model/${f.name}` });
    for (const [file, text] of rendered) {
      await fs.promises.writeFile(path.join(tmp, file), text);
      files.push({ name: file, bytes: Buffer.byteLength(text) });
    }
    await fs.promises.copyFile(tfjs.minJs, path.join(tmp, "tf.min.js"));
    files.push({ name: "tf.min.js", bytes: fs.statSync(tfjs.minJs).size });
  });
  files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const totalBytes = files.reduce((n, f) => n + f.bytes, 0);
  const conversion = {
    ...report,
    outDir: path.join(outDir, "model"),
    files: files.filter((f) => f.name.startsWith("model/")).map((f) => ({ ...f, name: f.name.slice(6) })),
  };
  return { outDir, files, totalBytes, tfjsVersion: tfjs.version, conversion };
}
