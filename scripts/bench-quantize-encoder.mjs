// Dynamic int8 on a transformer encoder (4 layers, hidden 256, 4 heads, seq 128, FFN 1024; random but
// seeded weights, src/onnx/fixture-encoder.ts): float vs int8 with only the weight MatMuls quantized
// (what mlpack did before: attention MatMuls stayed float) vs int8 with the attention MatMuls
// (Q x K^T, P x V) quantized too. The three sessions are timed interleaved in blocks in one process,
// one intra-op thread each, so the ratios are comparable on a noisy machine.
// Usage: npm run bench:quantize-encoder [-- --reps 300 --threads 1]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ort from "onnxruntime-node";
import { makeEncoder } from "../dist/onnx/fixture-encoder.js";
import { encodeModelProto } from "../dist/onnx/proto.js";
import { quantize } from "../dist/passes/quantize/quantize.js";
import { randomSamples, parseShapes } from "../dist/data/samples.js";
import { toOrtTensor } from "../dist/runtime/ort.js";

const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : def);
const reps = opt("--reps", 300);
const threads = opt("--threads", 1);
const [LAYERS, HIDDEN, SEQ] = [4, 256, opt("--seq", 128)];
const shapes = [`x=1,${SEQ},${HIDDEN}`];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlpack-bench-enc-"));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const floatPath = path.join(dir, "encoder.onnx");
const proto = makeEncoder({ layers: LAYERS, hidden: HIDDEN, heads: 4, seq: SEQ });
fs.writeFileSync(floatPath, encodeModelProto(proto));
const attention = Array.from({ length: LAYERS }, (_, i) => [`l${i}_scores`, `l${i}_context`]).flat();

const variants = [
  { name: "float", path: floatPath },
  {
    name: "int8 weights only (attention float)",
    path: path.join(dir, "weights.q.onnx"),
    opts: { exclude: attention },
  },
  { name: "int8 + attention MatMuls", path: path.join(dir, "all.q.onnx"), opts: {} },
];
for (const v of variants.slice(1)) {
  const t0 = performance.now();
  v.report = await quantize(floatPath, v.path, { ...v.opts, shapes, eval: "random:16" });
  v.quantizeS = (performance.now() - t0) / 1000;
}

const [sample] = randomSamples(proto, 1, parseShapes(shapes), 5);
const feeds = Object.fromEntries([...sample].map(([k, v]) => [k, toOrtTensor(v)]));
const sessOpts = { graphOptimizationLevel: "all", intraOpNumThreads: threads, logSeverityLevel: 3 };
for (const v of variants) {
  v.session = await ort.InferenceSession.create(v.path, sessOpts);
  v.times = [];
  for (let i = 0; i < 10; i++) await v.session.run(feeds);
}
const BLOCK = 10;
for (let r = 0; r < Math.ceil(reps / BLOCK); r++)
  for (const v of variants)
    for (let i = 0; i < BLOCK; i++) {
      const t = process.hrtime.bigint();
      await v.session.run(feeds);
      v.times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }

const base = median(variants[0].times);
console.log(
  `encoder: ${LAYERS} layers, hidden ${HIDDEN}, seq ${SEQ}, batch 1; ${reps} runs each, ${threads} intra-op thread(s), interleaved in blocks of ${BLOCK}; ${os.cpus().length} CPUs`,
);
console.log(
  "variant                              | median ms | speed-up vs float | quantized layers | size ratio | cosine (16 random inputs)",
);
for (const v of variants) {
  const m = median(v.times);
  const r = v.report;
  const cos = r ? Math.min(...r.accuracy.outputs.map((o) => o.cosine)).toFixed(5) : "1";
  console.log(
    `${v.name.padEnd(36)} | ${m.toFixed(2).padStart(9)} | ${(base / m).toFixed(2).padStart(16)}x | ${String(r ? `${r.quantizedLayers}/${r.layers.length}` : "-").padStart(16)} | ${(r ? r.size.ratio.toFixed(3) : "1").padStart(10)} | ${cos}`,
  );
}
const [, w, a] = variants;
console.log(
  `attention MatMuls quantized: ${(median(w.times) / median(a.times)).toFixed(2)}x faster than weights-only int8; total ${(base / median(a.times)).toFixed(2)}x vs float (weights-only: ${(base / median(w.times)).toFixed(2)}x)`,
);
console.log(
  "accuracy note: random weights and random inputs; the cosine shows the arithmetic is right, not that a trained model keeps its accuracy",
);
fs.rmSync(dir, { recursive: true, force: true });
