// How much a 2-core machine shared with a server's HTTP thread and a load generator costs the model's
// own thread, whatever the server does: the 25M int8 MLP of bench:serve-goals, run in process at
// batch 16 with one thread, alone and beside busy threads (duty cycles in 1 ms periods, standing in
// for the HTTP thread, the load generator and V8's GC helpers at c64). Ratios to "alone", medians of
// --rounds rounds × --seconds s, interleaved.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { flags, inProcessBaseline, median, write25mInt8 } from "./lib/serve-bench.mjs";

const opt = flags();
const rounds = Number(opt("rounds", 4));
const seconds = Number(opt("seconds", 3));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlpack-bench-contention-"));
const baseline = await inProcessBaseline(await write25mInt8(dir), () => Math.random() * 2 - 1);
const run = async (secs) => (await baseline.run(16, secs)).rate;

const spinner = (duty) =>
  new Worker(
    `const { workerData } = require("node:worker_threads");
     const sab = new Int32Array(new SharedArrayBuffer(4));
     for (;;) { const t = performance.now(); while (performance.now() - t < workerData) {} Atomics.wait(sab, 0, 0, 1 - workerData); }`,
    { eval: true, workerData: duty },
  );

const configs = {
  alone: [],
  "beside one thread at 100%": [1],
  "beside 60% + 20%": [0.6, 0.2],
  "beside 70% + 30%": [0.7, 0.3],
  "beside 100% + 20%": [1, 0.2],
};
await run(1);
const results = Object.fromEntries(Object.keys(configs).map((k) => [k, []]));
for (let r = 0; r < rounds; r++)
  for (const [name, duties] of Object.entries(configs)) {
    const workers = duties.map(spinner);
    await new Promise((resolve) => setTimeout(resolve, 100));
    results[name].push(await run(seconds));
    await Promise.all(workers.map((w) => w.terminate()));
  }
console.log(
  `${rounds} rounds × ${seconds} s, interleaved; ${os.cpus().length} cores; 25M int8 MLP, batch 16, 1 thread`,
);
const base = median(results.alone);
for (const [name, v] of Object.entries(results))
  console.log(
    `  ${name.padEnd(28)} ${median(v).toFixed(0).padStart(6)} rows/s  ${(median(v) / base).toFixed(3)}x   [${v.map((n) => n.toFixed(0)).join(", ")}]`,
  );
await baseline.release();
fs.rmSync(dir, { recursive: true, force: true });
