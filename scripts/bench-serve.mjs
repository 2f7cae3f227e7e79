// Benchmark: `mlpack serve` throughput with dynamic batching, against the same model run in-process at
// the same batch size, and against the server with batching off. The model is an MLP with 4096-wide
// layers (84 MB of weights), where batching helps: at batch 1 each request streams every weight from
// memory; at batch 32 the weights are read once per 32 rows.
//
// Why this size: every request costs the server's HTTP thread about 0.15-0.2 ms of CPU (HTTP/1.1
// parsing, JSON.parse of the input, the response), on top of the load generator's own cost. The
// in-process baseline pays none of that, so the server can only match it when a row's compute is well
// above that cost, or when spare cores absorb it. On a 2-core machine a 512-2048-2048-2048-16 MLP
// (about 4k rows/s batched on one core) already makes the HTTP side compete with the worker for CPU;
// pass --widths to see it.
//
// Loopback only, bounded: each measurement sends at most --max-requests requests and stops at its
// deadline. Measurements run interleaved (A, B, C, A, B, C, ...) and the medians are compared side by
// side, so noise from other work on the machine hits every variant alike. The load generator runs in
// worker threads with keep-alive connections; every request carries a distinct 1-row input.
//
// Usage: npm run bench:serve [-- --rounds 5 --seconds 4 --batch 32 --workers 1 --threads 1 --delay 2
//                              --widths 1024,4096,4096,16 (--threads 1,2: one batched server per count) --connections 64 --load-threads 1
//                              --engine raw|http --check]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { flags, listening, loadInWorker, median } from "./lib/serve-bench.mjs";

await main();

async function main() {
  const ort = (await import("onnxruntime-node")).default;
  const { makeMlp } = await import("../dist/onnx/fixtures.js");
  const { encodeModelProto } = await import("../dist/onnx/proto.js");
  const { seededRandom } = await import("../dist/onnx/random.js");

  const args = process.argv.slice(2);
  const opt = flags(args);
  const rounds = Number(opt("rounds", 5));
  const seconds = Number(opt("seconds", 4));
  const batch = Number(opt("batch", 32));
  const workers = Number(opt("workers", 1));
  // --threads 1,2 starts one batched server per count, measured side by side (the first count is also
  // used by the in-process baseline and the unbatched server).
  const threadCounts = String(opt("threads", 1)).split(",").map(Number);
  const threads = threadCounts[0];
  const delayMs = Number(opt("delay", 2));
  const widths = opt("widths", "1024,4096,4096,16").split(",").map(Number);
  const connections = Number(opt("connections", (workers + 1) * batch));
  const loadThreads = Number(opt("load-threads", 1));
  const maxRequests = Number(opt("max-requests", 200_000));
  const engine = opt("engine", "raw");
  const check = args.includes("--check");
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlpack-bench-serve-"));
  const file = path.join(dir, "mlp.onnx");
  fs.writeFileSync(file, encodeModelProto(makeMlp({ widths, seed: 3 })));
  const width = widths[0];
  const rand = seededRandom(9);
  const bodies = Array.from({ length: 512 }, () => {
    const data = Array.from({ length: width }, () => Math.round((rand() * 2 - 1) * 1e4) / 1e4);
    return Buffer.from(
      JSON.stringify({ inputs: [{ name: "input", datatype: "FP32", shape: [1, width], data }] }),
    );
  });

  // --- in-process: one session, same threads, `batch` rows per run -----------------------------------
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
  const inProcess = async (rows) => {
    const x = new ort.Tensor(
      "float32",
      Float32Array.from({ length: rows * width }, () => rand()),
      [rows, width],
    );
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < seconds * 1000) {
      await session.run({ input: x });
      n += rows;
    }
    return n / ((performance.now() - t0) / 1000);
  };

  // --- servers: the real CLI, batching on and off ----------------------------------------------------
  const startServer = (maxBatch, serverThreads = threads) =>
    listening(
      spawn(
        process.execPath,
        [
          path.join(root, "bin/mlpack.js"),
          "serve",
          `mlp=${file}`,
          "--port=0",
          `--workers=${workers}`,
          `--intra-op-threads=${serverThreads}`,
          `--max-batch-size=${maxBatch}`,
          `--max-queue-delay-ms=${delayMs}`,
          `--max-queue=${connections * 2}`,
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      ),
    );
  const batchedByThreads = [];
  for (const t of threadCounts) batchedByThreads.push(await startServer(batch, t));
  const batched = batchedByThreads[0];
  const unbatched = await startServer(1);

  const totals = { sent: 0, ok: 0, failures: {}, statuses: {} };
  const load = async (server, secs) => {
    const per = Math.ceil(connections / loadThreads);
    const results = await Promise.all(
      Array.from({ length: loadThreads }, (_, t) => {
        return loadInWorker({
          url: `${server.url}/v2/models/mlp/infer`,
          bodies,
          connections: per,
          requests: Math.ceil(maxRequests / loadThreads),
          deadlineMs: secs * 1000,
          firstIndex: t * 1000,
          engine,
        });
      }),
    );
    let ok = 0;
    let elapsed = 0;
    for (const r of results) {
      totals.sent += r.sent;
      for (const [k, v] of Object.entries(r.statuses)) totals.statuses[k] = (totals.statuses[k] ?? 0) + v;
      for (const [k, v] of Object.entries(r.failures)) totals.failures[k] = (totals.failures[k] ?? 0) + v;
      ok += r.statuses["200"] ?? 0;
      elapsed = Math.max(elapsed, r.elapsedMs);
    }
    totals.ok += ok;
    return ok / (elapsed / 1000);
  };

  // Warm up both servers and the session (JIT, page cache, thread pools).
  for (const b of batchedByThreads) await load(b, 1);
  await load(unbatched, 1);
  await inProcess(batch);
  Object.assign(totals, { sent: 0, ok: 0, failures: {}, statuses: {} });

  const variants = {
    [`in-process, batch ${batch}`]: () => inProcess(batch),
    [`server, dynamic batching (max ${batch})`]: () => load(batched, seconds),
    "server, no batching (max-batch-size 1)": () => load(unbatched, seconds),
    "in-process, batch 1": () => inProcess(1),
  };
  threadCounts.slice(1).forEach((t, i) => {
    variants[`server, dynamic batching, ${t} thread(s)`] = () => load(batchedByThreads[i + 1], seconds);
  });
  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) for (const [k, f] of Object.entries(variants)) samples[k].push(await f());

  for (const b of batchedByThreads) b.child.kill("SIGTERM");
  unbatched.child.kill("SIGTERM");
  await session.release();
  fs.rmSync(dir, { recursive: true, force: true });

  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const [inBatched, srvBatched, srvSingle] = Object.keys(variants).map((k) => m[k]);
  console.log(
    `model: MLP ${widths.join("-")} (${(widths.slice(1).reduce((a, w, i) => a + widths[i] * w, 0) / 1e6).toFixed(1)}M weights); ` +
      `${workers} worker(s) × ${threadCounts.join(" or ")} thread(s); ${connections} connections from ${loadThreads} load thread(s) (${engine} client); ` +
      `${rounds} rounds × ${seconds} s; ${os.availableParallelism()} cores`,
  );
  console.log("\nrows/s (median of rounds; every request is 1 row)");
  for (const [k, v] of Object.entries(m))
    console.log(
      `  ${k.padEnd(42)} ${v.toFixed(0).padStart(8)}   [${samples[k].map((x) => x.toFixed(0)).join(", ")}]`,
    );
  const errors = totals.sent - (totals.statuses["200"] ?? 0);
  console.log(
    `\nrequests: ${totals.sent} sent, ${totals.statuses["200"] ?? 0} answered 200, ${errors} errors` +
      (errors ? ` ${JSON.stringify({ statuses: totals.statuses, failures: totals.failures })}` : ""),
  );
  const r1 = srvBatched / inBatched;
  const r2 = srvBatched / srvSingle;
  console.log(`ratio  server batched / in-process batched   ${r1.toFixed(3)}   (goal >= 0.9)`);
  console.log(`ratio  server batched / server unbatched     ${r2.toFixed(2)}    (goal >= 2)`);
  const pass = errors === 0 && r1 >= 0.9 && r2 >= 2;
  console.log(pass ? "PASS" : "BELOW GOAL");
  if (check && !pass) process.exitCode = 1;
}
