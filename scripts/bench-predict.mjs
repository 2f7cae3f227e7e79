// Benchmark: `mlpack predict` (the built CLI, a separate process: its Parquet reader reads the input, a
// worker thread runs onnxruntime, Parquet parts are written and joined) against onnxruntime-node in
// process on the same rows at the same batch size (inputs already in memory, outputs discarded: the
// ceiling). Two models: the 25M-parameter MLP (1024-4096-4096-1024), where compute dominates, and a
// small 64-128-64-10 MLP, where reading and writing rows dominate. Rounds run interleaved (baseline,
// predict, baseline, predict, ...) and medians are compared, so machine noise hits both alike.
//
// The small model runs 1M rows (it was 200k: at 1.6M rows/s in process that is 0.12 s, less than the
// CLI's start-up alone), and also with DuckDB as the reader, side by side, for the reader's gain.
// The MLP runs 16k rows so that start-up (hashing the 100 MB model and loading it in the worker, about
// 0.5 s of a 6 s run on 2 cores) and filling and draining the pipeline do not decide the figure alone.
// "End to end" is the run's rows over its whole time (model hash, worker start, DuckDB, the final copy
// of the parts into the output); "streaming" is the rate while rows flow, from the last progress event.
// The baseline leaves out session creation, so only "end to end" is the whole cost; both are printed.
//
// The baseline is one session on onnxruntime's default threads (what a script does). `mlpack predict`
// picks its own layout unless --threads is given (see defaultWorkers and defaultThreads in
// src/predict/predict.ts): one worker on one thread for a model too small to split (a second one from
// 1M rows on), one worker per core on one thread each for a bigger one. So that no figure is flattered
// by a slow baseline, each model is also timed in process in the layouts predict uses, and the ratios against those are printed too: the
// small model on one thread (and one session per core from 1M rows), the big one as one session per
// core in worker threads.
//
// Then peak RSS of `mlpack predict` on 100k, 500k, 1M, 2M and 4M-row inputs at the same batch size, and
// at batch 64 against batch 1024: memory follows the batch (and part) size, not the input size.
//
// Then the start-up alone (a 100-row run), against the baseline: how fast rows would have to flow.
//
// Usage: npm run bench:predict [-- --rounds 3 --batch 64 --big-rows 16384 --small-rows 1000000
//                                 --rss-rows 1000000 --threads 0]   (--rss-rows 0: no memory part)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import ort from "onnxruntime-node";
import { DuckDBInstance } from "@duckdb/node-api";
import { makeMlp } from "../dist/onnx/fixtures.js";
import { writeModel } from "../dist/onnx/write.js";

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const ROUNDS = Number(args.rounds ?? 3);
const BATCH = Number(args.batch ?? 64);
const THREADS = Number(args.threads ?? 0);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlpack-bench-predict-"));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n) => Math.round(n).toLocaleString("en-US");

async function makeInput(file, rows, width, options = "") {
  const inst = await DuckDBInstance.create(":memory:");
  const c = await inst.connect();
  await c.run(
    `COPY (SELECT i AS id, [sin(i * 0.001 + k) for k in range(${width})]::FLOAT[] AS input FROM range(${rows}) t(i)) TO '${file}' (FORMAT parquet${options})`,
  );
  c.closeSync();
  inst.closeSync();
}

/** onnxruntime-node in this process: every batch prepared up front, then timed session.run calls. */
async function baseline(model, rows, width, threads = THREADS) {
  const s = await ort.InferenceSession.create(model, {
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    interOpNumThreads: 1,
    ...(threads ? { intraOpNumThreads: threads } : {}),
  });
  const batches = [];
  for (let start = 0; start < rows; start += BATCH) {
    const n = Math.min(BATCH, rows - start);
    const x = new Float32Array(n * width);
    for (let r = 0; r < n; r++)
      for (let k = 0; k < width; k++) x[r * width + k] = Math.sin((start + r) * 0.001 + k);
    batches.push(new ort.Tensor("float32", x, [n, width]));
  }
  await s.run({ input: batches[0] }); // warm-up
  const t0 = performance.now();
  for (const b of batches) await s.run({ input: b });
  const ms = performance.now() - t0;
  await s.release();
  return (rows / ms) * 1000;
}

/**
 * onnxruntime-node in process the other way: one session per core, each on one intra-op thread in a
 * worker thread of its own, batches dealt round-robin (the layout `mlpack predict` picks by default
 * for a model with work to split, see defaultWorkers in src/predict/predict.ts). Timed from the moment
 * every worker is ready to the last one's end.
 */
async function baselineWorkers(model, rows, width, n = os.availableParallelism()) {
  const code = `
    const { parentPort, workerData: w } = require("node:worker_threads");
    const ort = require(${JSON.stringify(path.join(root, "node_modules/onnxruntime-node"))});
    (async () => {
      const s = await ort.InferenceSession.create(w.model, { intraOpNumThreads: 1, interOpNumThreads: 1,
        executionMode: "sequential", graphOptimizationLevel: "all" });
      const batches = [];
      for (let start = w.batch * w.index; start < w.rows; start += w.batch * w.n) {
        const m = Math.min(w.batch, w.rows - start);
        const x = new Float32Array(m * w.width);
        for (let r = 0; r < m; r++) for (let k = 0; k < w.width; k++) x[r * w.width + k] = Math.sin((start + r) * 0.001 + k);
        batches.push(new ort.Tensor("float32", x, [m, w.width]));
      }
      await s.run({ input: batches[0] });
      parentPort.postMessage("ready");
      parentPort.once("message", async () => {
        for (const b of batches) await s.run({ input: b });
        parentPort.postMessage("done");
        await s.release();
      });
    })();`;
  const { Worker } = await import("node:worker_threads");
  const ws = Array.from(
    { length: n },
    (_, index) =>
      new Worker(code, { eval: true, workerData: { model, rows, width, batch: BATCH, index, n } }),
  );
  const next = (w) => new Promise((resolve, reject) => (w.once("message", resolve), w.once("error", reject)));
  await Promise.all(ws.map(next));
  const t0 = performance.now();
  const done = Promise.all(ws.map(next));
  for (const w of ws) w.postMessage("go");
  await done;
  const ms = performance.now() - t0;
  await Promise.all(ws.map((w) => w.terminate()));
  return (rows / ms) * 1000;
}

/** The built CLI, end to end: its own rows/s from the --json summary, and the process's peak RSS. */
function predict(model, input, output, batch = BATCH, env = {}) {
  const wrapper = `import(${JSON.stringify(path.join(root, "dist/cli/main.js"))}).then(async (m) => {
    const code = await m.main(process.argv.slice(1));
    process.stderr.write("maxrss " + process.resourceUsage().maxRSS + "\\n");
    process.exit(code);
  })`;
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [
      "-e",
      wrapper,
      "predict",
      model,
      "-i",
      input,
      "-o",
      output,
      "--keep",
      "id",
      "--batch-size",
      String(batch),
      "--threads",
      String(THREADS),
      "--json",
      "--restart",
    ],
    { encoding: "utf8", maxBuffer: 1 << 26, env: { ...process.env, ...env } },
  );
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`mlpack predict failed (${r.status}): ${r.stderr}`);
  const events = r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  const done = events.pop();
  // The last progress event is sent when every row is written, before the parts are joined into the
  // output: its rate leaves out start-up (model hash, workers, DuckDB) and the final copy.
  const streaming = events.filter((e) => e.event === "progress").pop()?.rowsPerSec ?? 0;
  const rss = Number(/maxrss (\d+)/.exec(r.stderr)?.[1] ?? 0) * 1024;
  return { rowsPerSec: (done.read / done.ms) * 1000, streaming, rss, wallMs };
}

async function compare(label, widths, rows, oneThread = false, perCore = false, duckReader = false) {
  const model = path.join(dir, `${label}.onnx`);
  await writeModel(makeMlp({ widths, seed: 1 }), model);
  const input = path.join(dir, `${label}.parquet`);
  await makeInput(input, rows, widths[0]);
  const base = [];
  const one = [];
  const cores = [];
  const ours = [];
  const steady = [];
  const viaDuck = [];
  for (let r = 0; r < ROUNDS; r++) {
    base.push(await baseline(model, rows, widths[0]));
    if (oneThread) one.push(await baseline(model, rows, widths[0], 1));
    if (perCore) cores.push(await baselineWorkers(model, rows, widths[0]));
    const p = predict(model, input, path.join(dir, `${label}-out.parquet`));
    ours.push(p.rowsPerSec);
    steady.push(p.streaming);
    if (duckReader)
      viaDuck.push(
        predict(model, input, path.join(dir, `${label}-out.parquet`), BATCH, {
          MLPACK_PARQUET_READER: "duckdb",
        }).rowsPerSec,
      );
  }
  const [b, o, s] = [median(base), median(ours), median(steady)];
  console.log(
    `${label.padEnd(6)} ${widths.join("-").padEnd(20)} ${fmt(rows).padStart(9)} rows  batch ${BATCH}  ` +
      `onnxruntime in process ${fmt(b).padStart(8)} rows/s   mlpack predict end to end ${fmt(o).padStart(8)} rows/s ` +
      `(ratio ${(o / b).toFixed(2)}x), streaming ${fmt(s).padStart(8)} rows/s (ratio ${(s / b).toFixed(2)}x)`,
  );
  if (oneThread) {
    const b1 = median(one);
    console.log(
      `${"".padEnd(6)} in process on 1 intra-op thread ${fmt(b1)} rows/s: predict end to end ${(o / b1).toFixed(2)}x, ` +
        `streaming ${(s / b1).toFixed(2)}x of that`,
    );
  }
  if (perCore) {
    const bc = median(cores);
    console.log(
      `${"".padEnd(6)} in process, one session per core on 1 thread each (worker threads) ${fmt(bc)} rows/s: ` +
        `predict end to end ${(o / bc).toFixed(2)}x, streaming ${(s / bc).toFixed(2)}x of that`,
    );
  }
  if (duckReader) {
    const d = median(viaDuck);
    console.log(
      `${"".padEnd(6)} the same run reading the input with DuckDB (MLPACK_PARQUET_READER=duckdb) ${fmt(d)} rows/s ` +
        `end to end: mlpack's Parquet reader ${(o / d).toFixed(2)}x that`,
    );
  }
  return {
    label,
    baseline: b,
    predict: o,
    ratio: o / b,
    streamingRatio: s / b,
    perCore: perCore ? median(cores) : undefined,
  };
}

console.log(`bench:predict — ${os.cpus().length} CPUs, ${ROUNDS} interleaved rounds, medians\n`);
const big = await compare(
  "mlp25m",
  [1024, 4096, 4096, 1024],
  Number(args["big-rows"] ?? 16384),
  false,
  !THREADS,
);
const smallRows = Number(args["small-rows"] ?? 1_000_000);
const small = await compare(
  "small",
  [64, 128, 64, 10],
  smallRows,
  !THREADS,
  // From 1M rows predict gives the small model a second worker (GROW_AT_ROWS in predict.ts): its
  // layout is then one session per core too.
  !THREADS && smallRows >= 1_000_000,
  true,
);

// Where the small model's time goes: DuckDB alone (as predict runs it: one thread), streaming the
// input's list column in chunks and writing the predictions' Parquet, each against the model alone.
async function duckAlone(input, rows) {
  const inst = await DuckDBInstance.create(":memory:", { threads: "1", preserve_insertion_order: "true" });
  const c = await inst.connect();
  let t0 = performance.now();
  const r = await c.stream(`SELECT * FROM read_parquet('${input}')`);
  for (let ch; (ch = await r.fetchChunk()) && ch.rowCount > 0;) ch.getColumnVector(1);
  const read = (rows / (performance.now() - t0)) * 1000;
  t0 = performance.now();
  await c.run(
    `COPY (SELECT i AS id, [i * 0.1 + k for k in range(10)]::FLOAT[] AS output FROM range(${rows}) t(i)) ` +
      `TO '${path.join(dir, "duck-write.parquet")}' (FORMAT parquet, COMPRESSION zstd)`,
  );
  const write = (rows / (performance.now() - t0)) * 1000;
  c.closeSync();
  inst.closeSync();
  return { read, write };
}
const alone = await duckAlone(path.join(dir, "small.parquet"), Number(args["small-rows"] ?? 1_000_000));
console.log(
  `\nsmall model, DuckDB alone: reading the input ${fmt(alone.read)} rows/s ` +
    `(${(alone.read / small.baseline).toFixed(2)}x the model in process), writing the predictions ` +
    `${fmt(alone.write)} rows/s (${(alone.write / small.baseline).toFixed(2)}x)`,
);

const rssRows = Number(args["rss-rows"] ?? 1_000_000);
// --rss-rows 0 skips the memory part (a quicker run while exploring).
if (rssRows > 0) {
  const model = path.join(dir, "small.onnx");
  const mib = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const sizes = [rssRows / 10, rssRows / 2, rssRows, rssRows * 2, rssRows * 4];
  const peaks = [];
  const rates = [];
  let smallGroups = 0;
  for (const n of sizes) {
    const file = path.join(dir, `rss-${n}.parquet`);
    await makeInput(file, n, 64);
    const p = predict(model, file, path.join(dir, "rss-out.parquet"), 64);
    peaks.push(p.rss);
    rates.push(p.rowsPerSec);
    if (n !== rssRows) fs.rmSync(file);
    else {
      // The same rows in row groups of 16,384 (DuckDB's default is 122,880): what the reader holds
      // follows the input's row groups.
      const small = path.join(dir, "rss-rg16k.parquet");
      await makeInput(small, n, 64, ", ROW_GROUP_SIZE 16384");
      smallGroups = predict(model, small, path.join(dir, "rss-out.parquet"), 64).rss;
      fs.rmSync(small);
    }
  }
  const full = path.join(dir, `rss-${rssRows}.parquet`);
  const rFullBig = predict(model, full, path.join(dir, "rss-out.parquet"), 1024);
  console.log(
    `\npeak RSS (small model, 64 floats in per row, batch 64): ` +
      sizes.map((n, i) => `${fmt(n)} rows ${mib(peaks[i])}`).join(", ") +
      ` (x${(peaks.at(-1) / peaks[0]).toFixed(2)} for ${sizes.at(-1) / sizes[0]}x the rows); ${fmt(rssRows)} rows at batch 1024: ` +
      `${mib(rFullBig.rss)}; ${fmt(rssRows)} rows in row groups of 16,384: ${mib(smallGroups)}; ` +
      `input file ${mib(fs.statSync(full).size)}`,
  );
  // The same runs' rows/s: start-up (Node, DuckDB, onnxruntime, the worker, the first page: ~0.3-0.4 s
  // before rows flow) weighs less as the input grows; the in-process figure has none.
  console.log(
    `end to end rows/s of those runs (small model, batch 64): ` +
      sizes
        .map((n, i) => `${fmt(n)} rows ${fmt(rates[i])} (${(rates[i] / small.baseline).toFixed(2)}x)`)
        .join(", "),
  );
}
// What start-up alone costs: a 100-row run of the small model, wall time of the whole process (Node,
// mlpack's modules, the workers' sessions, the first page, writing and joining the output). The
// in-process baseline has none of it, so to finish N rows in base / 0.9 (base: the baseline's time for
// them), predict's rows must flow at N / (base / 0.9 - fixed) or faster; printed beside the fastest
// in-process layout measured above (one session per core, nothing to read or write).
{
  const model = path.join(dir, "small.onnx");
  const file = path.join(dir, "fixed-100.parquet");
  await makeInput(file, 100, 64);
  const fixed = median(
    Array.from(
      { length: Math.max(3, ROUNDS) },
      () => predict(model, file, path.join(dir, "fixed-out.parquet")).wallMs,
    ),
  );
  const base = (smallRows / small.baseline) * 1000;
  const need = base / 0.9 > fixed ? smallRows / ((base / 0.9 - fixed) / 1000) : Infinity;
  console.log(
    `\nstart-up: a 100-row run of the small model takes ${fixed.toFixed(0)} ms end to end (process start to exit), ` +
      `against ${base.toFixed(0)} ms for the baseline's ${fmt(smallRows)} rows in process: ` +
      (need === Infinity
        ? `0.9x end to end is out of reach (start-up alone is longer than ${(base / 0.9).toFixed(0)} ms)`
        : `0.9x end to end needs rows to flow at ${fmt(need)} rows/s (${(need / small.baseline).toFixed(2)}x the baseline)`) +
      (small.perCore
        ? `; the fastest in-process layout, one session per core with nothing to read or write, ran ${fmt(small.perCore)} rows/s`
        : ""),
  );
}
console.log(
  `\ngoal >= 0.9x end to end: mlp25m ${big.ratio >= 0.9 ? "met" : "NOT met"} (${big.ratio.toFixed(2)}x, streaming ${big.streamingRatio.toFixed(2)}x), ` +
    `small ${small.ratio >= 0.9 ? "met" : "NOT met"} (${small.ratio.toFixed(2)}x, streaming ${small.streamingRatio.toFixed(2)}x)`,
);
fs.rmSync(dir, { recursive: true, force: true });
