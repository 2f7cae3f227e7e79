// Benchmark: TF.js conversion time against ONNX node count. A conv-net-like chain (Conv, Relu, Add of
// a skip, Mul by a per-channel scale, every 8th block a dilated MaxPool) at growing depths is converted
// in memory; time per node should stay flat (linear total). Also: a dilated MaxPool whose kernel grows
// (TF node count must not). Sizes run interleaved, medians printed.
// Usage: npm run bench:convert-scaling [-- --reps 3 --max 8000]
import { convertLoadedModel } from "../dist/convert/tfjs/convert.js";
import { readModelFromBytes } from "../dist/onnx/read.js";
import { encodeModelProto } from "../dist/onnx/proto.js";
import { makeModel, makeNode, makeValueInfo } from "../dist/onnx/build.js";
import { arrayToTensor } from "../dist/onnx/tensor.js";
import { DT } from "../dist/onnx/dtypes.js";
import { randomWeights, seededRandom } from "../dist/onnx/random.js";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const reps = opt("reps", 3);
const max = opt("max", 8000);
const C = 8;

function chain(blocks) {
  const rand = seededRandom(1);
  const nodes = [];
  const inits = [];
  let x = "input";
  for (let i = 0; i < blocks; i++) {
    inits.push(arrayToTensor(`w${i}`, DT.FLOAT, [C, C, 3, 3], randomWeights(C * C * 9, 0.1, rand)));
    inits.push(arrayToTensor(`s${i}`, DT.FLOAT, [1, C, 1, 1], randomWeights(C, 1, rand)));
    nodes.push(makeNode("Conv", [x, `w${i}`], [`c${i}`], { pads: { ints: [1, 1, 1, 1] } }));
    nodes.push(makeNode("Relu", [`c${i}`], [`r${i}`]));
    nodes.push(makeNode("Add", [`r${i}`, x], [`a${i}`]));
    const pooled = i % 8 === 7;
    nodes.push(makeNode("Mul", [`a${i}`, `s${i}`], [pooled ? `m${i}` : `x${i}`]));
    if (pooled)
      nodes.push(
        makeNode("MaxPool", [`m${i}`], [`x${i}`], {
          kernel_shape: { ints: [3, 3] },
          dilations: { ints: [2, 2] },
          pads: { ints: [2, 2, 2, 2] },
        }),
      );
    x = `x${i}`;
  }
  nodes.push(makeNode("Identity", [x], ["output"]));
  return makeModel({
    nodes,
    inputs: [makeValueInfo("input", DT.FLOAT, [1, C, 16, 16])],
    outputs: [makeValueInfo("output", DT.FLOAT, [1, C, 16, 16])],
    initializers: inits,
    opsets: { "": 17 },
  });
}

function dilatedPool(k) {
  return makeModel({
    nodes: [
      makeNode("MaxPool", ["input"], ["output"], {
        kernel_shape: { ints: [k, k] },
        dilations: { ints: [10, 10] },
      }),
    ],
    inputs: [makeValueInfo("input", DT.FLOAT, [1, 1, 60 + 10 * k, 80 + 10 * k])],
    outputs: [makeValueInfo("output", DT.FLOAT, undefined)],
    opsets: { "": 17 },
  });
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function time(bytes) {
  const loaded = readModelFromBytes(bytes, { source: "bench.onnx" });
  const t0 = performance.now();
  const r = convertLoadedModel(loaded);
  return { ms: performance.now() - t0, onnx: r.report.onnxNodes, tf: r.report.tfNodes };
}

const sizes = [];
for (let blocks = 64; blocks * 4.125 <= max; blocks *= 2) sizes.push(blocks);
const models = sizes.map((b) => encodeModelProto(chain(b)));
const samples = sizes.map(() => []);
let info = [];
for (let r = 0; r < reps + 1; r++) {
  info = [];
  for (let i = 0; i < models.length; i++) {
    const t = await time(models[i]);
    if (r > 0) samples[i].push(t.ms); // the first round warms the JIT
    info.push(t);
  }
}
console.log("ONNX nodes  TF nodes   convert ms   us per ONNX node");
const perNode = sizes.map((_, i) => (1000 * median(samples[i])) / info[i].onnx);
sizes.forEach((_, i) =>
  console.log(
    `${String(info[i].onnx).padStart(10)}  ${String(info[i].tf).padStart(8)}  ${median(samples[i]).toFixed(1).padStart(11)}  ${perNode[i].toFixed(1).padStart(17)}`,
  ),
);
console.log(
  `time per node, largest / smallest model: ${(perNode.at(-1) / perNode[0]).toFixed(2)}x ` +
    `(${info.at(-1).onnx / info[0].onnx}x the nodes; 1.0x = linear)`,
);

console.log("\ndilated MaxPool (dilation 10), kernel k x k: TF nodes and convert ms");
for (const k of [2, 5, 10, 20, 40]) {
  const bytes = encodeModelProto(dilatedPool(k));
  await time(bytes);
  const t = await time(bytes);
  console.log(`  k=${String(k).padStart(2)}: ${t.tf} TF nodes, ${t.ms.toFixed(1)} ms`);
}
