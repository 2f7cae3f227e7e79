// Benchmark: `validate` time against graph size. Chains of 10k, 100k and 1M nodes (Relu and Add,
// unnamed as exporters often leave them, every fourth one with an unknown attribute so a diagnostic
// names it), each validated from bytes in process, interleaved across sizes. Linear time shows as a
// constant time per node; the ratio column divides each size's per-node time by the smallest's.
// Usage: npm run bench:validate [-- --sizes 10000,100000,1000000 --reps 3]
import { DT } from "../dist/onnx/dtypes.js";
import { makeModel, makeNode, makeValueInfo } from "../dist/onnx/build.js";
import { encodeModelProto } from "../dist/onnx/proto.js";
import { readModelFromBytes } from "../dist/onnx/read.js";
import { validateModelProto } from "../dist/passes/validate.js";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const sizes = opt("sizes", "10000,100000,1000000").split(",").map(Number);
const reps = Number(opt("reps", 3));

function chain(n) {
  const nodes = [];
  let prev = "x";
  for (let i = 0; i < n; i++) {
    const out = `v${i}`;
    const attrs = i % 4 === 3 ? { not_an_attribute: { int: 1 } } : {};
    nodes.push(i % 2 ? makeNode("Add", [prev, "x"], [out], attrs) : makeNode("Relu", [prev], [out], attrs));
    prev = out;
  }
  const model = makeModel({
    nodes,
    inputs: [makeValueInfo("x", DT.FLOAT, [1, 8])],
    outputs: [makeValueInfo(prev, DT.FLOAT, [1, 8])],
  });
  return encodeModelProto(model);
}

const models = new Map(sizes.map((n) => [n, chain(n)]));
// Wall-clock time, and CPU time (all threads, garbage collector helpers included): on a shared,
// loaded machine the CPU time moves much less with the other load than the wall-clock time does.
const time = (f) => {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = f();
  const c = process.cpuUsage(c0);
  return [Number(process.hrtime.bigint() - t0) / 1e6, r, (c.user + c.system) / 1000];
};
const run = (bytes) => {
  const loaded = readModelFromBytes(bytes, { source: "chain.onnx" });
  return validateModelProto(loaded.proto, "chain.onnx");
};
const samples = new Map(sizes.map((n) => [n, []]));
const cpu = new Map(sizes.map((n) => [n, []]));
let diagnostics = new Map();
run(models.get(sizes[0])); // warm the JIT
for (let r = 0; r < reps; r++)
  for (const n of sizes) {
    const [ms, report, cpuMs] = time(() => run(models.get(n)));
    samples.get(n).push(ms);
    cpu.get(n).push(cpuMs);
    diagnostics.set(n, report.diagnostics.length);
  }

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(samples.get(sizes[0])) / sizes[0];
console.log(`validate (read + all passes, in process), ${reps} interleaved reps, medians`);
console.log(
  `${"nodes".padStart(9)} ${"MB".padStart(7)} ${"diags".padStart(7)} ${"ms".padStart(9)} ${"cpu ms".padStart(9)} ${"µs/node".padStart(8)}  per-node ratio`,
);
for (const n of sizes) {
  const ms = median(samples.get(n));
  console.log(
    `${String(n).padStart(9)} ${(models.get(n).length / 1e6).toFixed(1).padStart(7)} ${String(diagnostics.get(n)).padStart(7)} ${ms.toFixed(0).padStart(9)} ${median(cpu.get(n)).toFixed(0).padStart(9)} ${((ms * 1000) / n).toFixed(2).padStart(8)}  ${(ms / n / base).toFixed(2)}x`,
  );
}
const largest = sizes[sizes.length - 1];
console.log(
  `\n${largest} nodes: ${(median(samples.get(largest)) / 1000).toFixed(1)} s (goal: 1M nodes under 10 s); a per-node ratio near 1 means linear time`,
);
