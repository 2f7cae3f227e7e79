// Benchmark: converting a ~100 MB ONNX model to a TF.js graph model versus reading its bytes and
// writing them back out (the I/O floor any converter pays). Two models: an MLP (Gemm weights go to the
// shards as they are) and a conv net (every Conv filter is transposed to TF's HWIO). Variants run
// interleaved (A, B, A, B, ...) so machine noise hits both alike; medians and the ratio are printed.
// Usage: npm run bench:convert [-- --mb 100 --reps 5]   (goal: convert <= 3x read+write)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { convertToTfjs, writeModel } from "../dist/index.js";
import { makeMlp } from "../dist/onnx/fixtures.js";
import { makeModel, makeNode, makeValueInfo } from "../dist/onnx/build.js";
import { arrayToTensor } from "../dist/onnx/tensor.js";
import { DT } from "../dist/onnx/dtypes.js";
import { randomWeights, seededRandom } from "../dist/onnx/random.js";
import { formatBytes } from "../dist/format-bytes.js";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const targetMb = opt("mb", 100);
const reps = opt("reps", 5);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlpack-bench-convert-"));

/** 3x3 convs of `width` channels until the weights reach `mb` megabytes. */
function convNet(mb, width = 384) {
  const rand = seededRandom(4);
  const per = width * width * 9;
  const layers = Math.max(1, Math.round((mb * 1e6) / 4 / per));
  const nodes = [];
  const inits = [];
  let x = "input";
  for (let i = 0; i < layers; i++) {
    inits.push(arrayToTensor(`w${i}`, DT.FLOAT, [width, width, 3, 3], randomWeights(per, 0.05, rand)));
    inits.push(arrayToTensor(`b${i}`, DT.FLOAT, [width], randomWeights(width, 0.05, rand)));
    nodes.push(
      makeNode("Conv", [x, `w${i}`, `b${i}`], [`c${i}`], {
        kernel_shape: { ints: [3, 3] },
        pads: { ints: [1, 1, 1, 1] },
      }),
    );
    nodes.push(makeNode("Relu", [`c${i}`], [`r${i}`]));
    x = `r${i}`;
  }
  nodes.push(makeNode("GlobalAveragePool", [x], ["output"]));
  return makeModel({
    nodes,
    inputs: [makeValueInfo("input", DT.FLOAT, ["N", width, 16, 16])],
    outputs: [makeValueInfo("output", DT.FLOAT, ["N", width, 1, 1])],
    initializers: inits,
    opsets: { "": 13 },
  });
}

const width = Math.round(Math.sqrt((targetMb * 1e6) / 4 / 3));
const models = {
  mlp: makeMlp({ widths: [width, width, width, width], seed: 3 }),
  convnet: convNet(targetMb),
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = async (f) => {
  const t0 = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
};

let worst = 0;
for (const [name, proto] of Object.entries(models)) {
  const file = path.join(dir, `${name}.onnx`);
  await writeModel(proto, file);
  const size = fs.statSync(file).size;
  const copy = path.join(dir, `${name}.copy`);
  const out = path.join(dir, `${name}-tfjs`);
  const variants = {
    "read + write the bytes": async () => {
      const bytes = await fs.promises.readFile(file);
      await fs.promises.writeFile(copy, bytes);
    },
    convertToTfjs: async () => {
      await convertToTfjs(file, out);
    },
  };
  for (const f of Object.values(variants)) await f(); // page cache and JIT warm
  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < reps; r++) {
    for (const [k, f] of Object.entries(variants)) {
      fs.rmSync(out, { recursive: true, force: true });
      fs.rmSync(copy, { force: true });
      samples[k].push(await time(f));
    }
  }
  const io = median(samples["read + write the bytes"]);
  const conv = median(samples.convertToTfjs);
  const ratio = conv / io;
  worst = Math.max(worst, ratio);
  console.log(`${name}: ${formatBytes(size)} model, ${reps} rounds (medians)`);
  console.log(`  read + write the bytes  ${io.toFixed(0).padStart(6)} ms`);
  console.log(`  convertToTfjs           ${conv.toFixed(0).padStart(6)} ms   ${ratio.toFixed(2)}x`);
}
console.log(
  `worst ratio ${worst.toFixed(2)}x (goal <= 3x) on ${os.cpus().length} CPUs, node ${process.version}`,
);
fs.rmSync(dir, { recursive: true, force: true });
