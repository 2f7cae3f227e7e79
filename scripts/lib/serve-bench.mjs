// Shared by the serve benchmarks (bench-serve.mjs, bench-serve-goals.mjs, bench-serve-contention.mjs):
// flags, starting a server and waiting for its URL, driving load from a worker thread, the c64 goal's
// 25M int8 model and its in-process baseline, medians and p99.
import path from "node:path";
import { Worker } from "node:worker_threads";

/** `--name value` flags: opt("rounds", 3) gives the value after --rounds, or the default. */
export function flags(args = process.argv.slice(2)) {
  return (name, def) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : def;
  };
}

/** Resolves with { child, url } once a spawned `mlpack serve` (or look-alike) prints its URL. */
export function listening(child) {
  return new Promise((resolve, reject) => {
    let out = "";
    let url;
    child.stdout.on("data", (d) => {
      // After start-up, stdout is the access log: read and drop it.
      if (url) return;
      out += d;
      const m = /listening on (http:\/\/[^\s"]+)/.exec(out);
      if (m) resolve({ child, url: (url = m[1]) });
    });
    child.on("exit", (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
}

/** Runs src/serve/load-generator.ts's runLoad in a worker thread (so the client has its own core). */
export function loadInWorker(options) {
  const w = new Worker(new URL("./load-worker.mjs", import.meta.url), { workerData: options });
  return new Promise((resolve, reject) => {
    w.once("message", resolve);
    w.once("error", reject);
  });
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function p99(xs) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))];
}

/** Writes the c64 goal's model into dir: a 1024-4096-4096-1024 MLP quantized dynamic int8 by mlpack. */
export async function write25mInt8(dir) {
  const { makeMlp } = await import("../../dist/onnx/fixtures.js");
  const { writeModel } = await import("../../dist/index.js");
  const { quantize } = await import("../../dist/passes/quantize/quantize.js");
  const float = path.join(dir, "mlp25m.onnx");
  await writeModel(makeMlp({ widths: [1024, 4096, 4096, 1024], seed: 5 }), float);
  const int8 = path.join(dir, "mlp25m.int8.onnx");
  await quantize(float, int8, { mode: "dynamic", shapes: [] });
  return int8;
}

/**
 * The in-process baseline: the model in one onnxruntime session with one thread, run back to back.
 * Returns { run, release }: run(rows, secs) gives { rate: rows/s, p99: ms a run }, with a new input of
 * `rows` × 1024 from value() each call.
 */
export async function inProcessBaseline(modelPath, value) {
  const ort = (await import("onnxruntime-node")).default;
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
  const run = async (rows, secs) => {
    const x = new ort.Tensor("float32", Float32Array.from({ length: rows * 1024 }, value), [rows, 1024]);
    const lat = [];
    const t0 = performance.now();
    while (performance.now() - t0 < secs * 1000) {
      const t = performance.now();
      await session.run({ input: x });
      lat.push(performance.now() - t);
    }
    return { rate: (lat.length * rows) / ((performance.now() - t0) / 1000), p99: p99(lat) };
  };
  return { run, release: () => session.release() };
}
