/**
 * Runs ONNX backend-suite cases through the TF.js converter and @tensorflow/tfjs: convert in memory,
 * load with tfjs's own manifest parsing, feed test_data_set_0's inputs, compare to its outputs.
 */
import fs from "node:fs";
import path from "node:path";
import { readModel } from "../../src/onnx/read.js";
import { decodeTensorProto } from "../../src/onnx/proto.js";
import { DT } from "../../src/onnx/dtypes.js";
import { tensorToArray } from "../../src/onnx/tensor.js";
import { constFromTensor, tfDtypeOf } from "../../src/convert/tfjs/values.js";
import { convertLoadedModel, TfjsConversionError } from "../../src/convert/tfjs/convert.js";
import { supportedOps } from "../../src/convert/tfjs/mappers/index.js";
import { loadTfjsInMemory, runTfjs } from "./tfjs-load.js";
import { allClose } from "./tfjs-compare.js";

export type CaseResult =
  | { status: "pass"; frozen?: string[] }
  | { status: "unsupported"; reason: string }
  | { status: "fail"; reason: string };

const SUPPORTED = new Set(supportedOps());

/** Whether every node of the case's main graph is an ai.onnx op in the converter's table. */
export async function caseOpsSupported(modelFile: string): Promise<boolean> {
  const m = await readModel(modelFile);
  return m.proto.graph!.node.every(
    (n) => (n.domain === "" || n.domain === "ai.onnx") && SUPPORTED.has(n.opType),
  );
}

function readPb(file: string) {
  return tensorToArray(decodeTensorProto(fs.readFileSync(file)));
}

/** A test tensor as TF.js holds it (float16 decoded, int64 as numbers); the converter's own decoding. */
function tfInput(t: ReturnType<typeof readPb>) {
  const dtype = tfDtypeOf(t.dtype);
  if (!dtype) throw new Error(`test tensor of type ${t.dtype}`);
  const c = constFromTensor(t);
  return { dims: c.dims, dtype, data: c.data };
}

export async function runBackendCase(
  dir: string,
  opts: { keepLayout?: boolean } = {},
  rtol = 1e-3,
  atol = 1e-4,
): Promise<CaseResult> {
  const file = path.join(dir, "model.onnx");
  const data = path.join(dir, "test_data_set_0");
  const files = fs.readdirSync(data);
  const inputs = files
    .filter((f) => /^input_\d+\.pb$/.test(f))
    .sort((a, b) => parseInt(a.slice(6)) - parseInt(b.slice(6)));
  const outputs = files
    .filter((f) => /^output_\d+\.pb$/.test(f))
    .sort((a, b) => parseInt(a.slice(7)) - parseInt(b.slice(7)));
  const loaded = await readModel(file);
  const g = loaded.proto.graph!;
  const order = realInputs(g);
  const frozen: string[] = [];
  let converted;
  for (;;) {
    try {
      converted = convertLoadedModel(loaded, { keepLayout: opts.keepLayout });
      break;
    } catch (e) {
      if (!(e instanceof TfjsConversionError))
        return { status: "fail", reason: `convert threw ${(e as Error).message.split("\n")[0]}` };
      // Parameters (axes, pads, scales, ...) that real models hold as constants are graph inputs in
      // the suite: freeze them to the test's values and convert again.
      const names = e.nodes.flatMap((n) =>
        [...n.reason.matchAll(/"([^"]+)"\) must be a constant/g)].map((m) => m[1]),
      );
      const fresh = names.filter((n) => !frozen.includes(n) && order.includes(n));
      if (fresh.length === 0)
        return { status: "unsupported", reason: e.nodes.map((n) => `${n.opType}: ${n.reason}`).join("; ") };
      for (const name of new Set(fresh)) {
        const t = decodeTensorProto(fs.readFileSync(path.join(data, inputs[order.indexOf(name)])));
        t.name = name;
        g.initializer.push(t);
        g.input.splice(
          g.input.findIndex((i) => i.name === name),
          1,
        );
        frozen.push(name);
      }
    }
  }
  const { report, json, weights } = converted;
  const feeds: Parameters<typeof runTfjs>[1] = {};
  inputs.forEach((f, i) => {
    const name = order[i];
    if (name !== undefined && !frozen.includes(name)) feeds[name] = tfInput(readPb(path.join(data, f)));
  });
  const names = report.outputs.map((o) => o.name);
  let got;
  try {
    const model = await loadTfjsInMemory(json, weights);
    got = await runTfjs(model, feeds, names);
    model.dispose();
  } catch (e) {
    return { status: "fail", reason: `tfjs threw ${(e as Error).message.split("\n")[0]}` };
  }
  for (let i = 0; i < outputs.length; i++) {
    const raw = readPb(path.join(data, outputs[i]));
    const exp = tfInput(raw);
    const name = names[i];
    const act = got[name];
    if (!act) return { status: "fail", reason: `output ${i} missing` };
    const shapeOk = act.dims.length === exp.dims.length && act.dims.every((d, k) => d === exp.dims[k]);
    if (!shapeOk) return { status: "fail", reason: `${name}: shape [${act.dims}] != expected [${exp.dims}]` };
    // TF.js computes bfloat16 values in float32: a bfloat16 result is right within its own resolution.
    const bad = allClose(act.data, exp.data, raw.dtype === DT.BFLOAT16 ? 2 ** -8 : rtol, atol);
    if (bad)
      return { status: "fail", reason: `${name}[${bad.index}] = ${bad.actual}, expected ${bad.expected}` };
  }
  return frozen.length ? { status: "pass", frozen } : { status: "pass" };
}

/** Graph inputs that are not initializers, in order: the test data's input_K order. */
function realInputs(g: { input: { name: string }[]; initializer: { name: string }[] }): string[] {
  const inits = new Set(g.initializer.map((t) => t.name));
  return g.input.map((i) => i.name).filter((n) => !inits.has(n));
}
