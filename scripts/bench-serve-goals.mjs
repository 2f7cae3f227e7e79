// Benchmark: the two goals of `mlpack serve`'s data path, measured side by side in one run (issue 14):
//
//   1. concurrency 1, a 64-128-10 MLP: mlpack serve (defaults) against a minimal Node server (node:http,
//      JSON.parse, session.run, JSON.stringify: what anyone would write in 25 lines). Goal >= 0.8x.
//   2. 64 connections, a 25M-weight int8 MLP (1024-4096-4096-1024, dynamic int8 by mlpack's quantizer):
//      mlpack serve (max batch 16, 1 intra-op thread) against the same model run in process at batch 16
//      with 1 thread. Goal >= 0.9x with JSON bodies, >= 1.0x with the binary tensor data extension
//      (binary inputs and outputs).
//
// Every request is 1 row of JSON (OIP v2 `data`), numbers with 4 decimals as in bench-serve.mjs (or
// --body f32: the shortest text of random float32 values; --body f64: the 17-digit text of their
// doubles, as numpy's tolist() gives). p99 latency is reported for each variant (for in-process: of one
// batch-16 run). Rounds run interleaved and the medians are compared, so load from other work on the
// machine hits every variant alike. Loopback only; each load stops at its deadline.
//
// --old DIR adds "mlpack serve (DIR)" beside each server: a copy of an earlier build (DIR/bin/mlpack.js,
// DIR/dist, DIR/package.json; put DIR inside this checkout so it finds node_modules), to compare a
// change before and after in the same run, e.g.
//   mkdir -p tmp/bench-old && git archive REV src bin package.json tsconfig*.json scripts | tar -x -C tmp/bench-old
//   (cd tmp/bench-old && npx tsc -p tsconfig.build.json && node scripts/copy-assets.mjs)
//
// --fresh starts every server anew (and warms it up) before each round after the first, so that a
// comparison between builds sees several processes of each rather than one process's luck for the
// whole run (on this VM the same two builds compared 10% apart one way, then the other, in runs
// minutes apart).
//
// Usage: npm run bench:serve-goals [-- --rounds 3 --seconds 3 --body 4dp|f32|f64 --old tmp/bench-old --fresh]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  flags,
  inProcessBaseline,
  listening,
  loadInWorker,
  median,
  p99,
  write25mInt8,
} from "./lib/serve-bench.mjs";

await main();

async function main() {
  const { makeMlp } = await import("../dist/onnx/fixtures.js");
  const { writeModel } = await import("../dist/index.js");
  const { seededRandom } = await import("../dist/onnx/random.js");
  const { float32Text } = await import("../dist/serve/codec/f32-text.js");

  const opt = flags();
  const rounds = Number(opt("rounds", 3));
  const seconds = Number(opt("seconds", 3));
  const bodyKind = opt("body", "4dp");
  const old = opt("old", undefined);
  const fresh = process.argv.includes("--fresh");
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlpack-bench-goals-"));
  const rand = seededRandom(9);

  const small = path.join(dir, "mlp.onnx");
  await writeModel(makeMlp({ widths: [64, 128, 10], seed: 3 }), small);
  const big = await write25mInt8(dir);

  const value = () => {
    const v = rand() * 2 - 1;
    if (bodyKind === "f32") return float32Text(Math.fround(v));
    if (bodyKind === "f64") return String(Math.fround(v));
    return String(Math.round(v * 1e4) / 1e4);
  };
  const bodiesFor = (width) =>
    Array.from({ length: 256 }, () =>
      Buffer.from(
        `{"inputs":[{"name":"input","datatype":"FP32","shape":[1,${width}],"data":[${Array.from({ length: width }, value).join(",")}]}]}`,
      ),
    );
  const smallBodies = bodiesFor(64);
  const bigBodies = bodiesFor(1024);
  // The binary tensor data extension both ways, as Triton's and KServe's clients use it: the same
  // JSON header for every body, then 4096 raw bytes; outputs asked for in binary too.
  const binHeader = Buffer.from(
    '{"parameters":{"binary_data_output":true},"inputs":[{"name":"input","datatype":"FP32","shape":[1,1024],"parameters":{"binary_data_size":4096}}]}',
  );
  const binBodies = Array.from({ length: 256 }, () =>
    Buffer.concat([binHeader, Buffer.from(Float32Array.from({ length: 1024 }, () => rand() * 2 - 1).buffer)]),
  );
  const binHeaders = { "inference-header-content-length": String(binHeader.length) };

  const mlpack = (bin, file, extra = []) =>
    listening(
      spawn(process.execPath, [bin, "serve", `mlp=${file}`, "--port=0", ...extra], {
        stdio: ["ignore", "pipe", "inherit"],
      }),
    );
  // The minimal server: parse, run, reply. Same thread count as mlpack's default on this machine.
  const minimalCode = `
    import http from "node:http";
    import ort from "onnxruntime-node";
    const s = await ort.InferenceSession.create(process.argv[1], { intraOpNumThreads: 1 });
    http.createServer((req, res) => {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", async () => {
        const x = JSON.parse(Buffer.concat(chunks)).inputs[0];
        const out = await s.run({ [x.name]: new ort.Tensor("float32", Float32Array.from(x.data), x.shape) });
        const outputs = Object.entries(out).map(([name, t]) => ({ name, datatype: "FP32", shape: t.dims, data: Array.from(t.data) }));
        const body = JSON.stringify({ model_name: "mlp", model_version: "1", outputs });
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
        res.end(body);
      });
    }).listen(0, "127.0.0.1", function () { console.log("listening on http://127.0.0.1:" + this.address().port); });`;
  const minimal = (file) =>
    listening(
      spawn(process.execPath, ["--input-type=module", "-e", minimalCode, file], {
        cwd: root,
        stdio: ["ignore", "pipe", "inherit"],
      }),
    );

  const bin = path.join(root, "bin/mlpack.js");
  const bigFlags = ["--max-batch-size=16", "--intra-op-threads=1", "--max-queue=1024"];
  const starters = {
    c1Mlpack: () => mlpack(bin, small),
    c1Minimal: () => minimal(small),
    c64Mlpack: () => mlpack(bin, big, bigFlags),
  };
  if (old) {
    const oldBin = path.resolve(old, "bin/mlpack.js");
    starters.c1Old = () => mlpack(oldBin, small);
    starters.c64Old = () => mlpack(oldBin, big, bigFlags);
  }
  const servers = {};
  const startAll = async () => {
    for (const [k, start] of Object.entries(starters)) servers[k] = await start();
  };
  const stopAll = async () => {
    await Promise.all(
      Object.values(servers).map(
        (s) =>
          new Promise((resolve) =>
            s.child.exitCode !== null ? resolve() : (s.child.once("exit", resolve), s.child.kill("SIGTERM")),
          ),
      ),
    );
  };
  await startAll();

  const totals = { sent: 0, errors: 0 };
  const load = async (server, bodies, connections, secs, headers = undefined) => {
    const r = await loadInWorker({
      url: `${server.url}/v2/models/mlp/infer`,
      bodies,
      connections,
      requests: 1_000_000,
      deadlineMs: secs * 1000,
      engine: "raw",
      ...(headers ? { headers } : {}),
    });
    const ok = r.statuses["200"] ?? 0;
    totals.sent += r.sent;
    totals.errors += r.sent - ok;
    return { rate: ok / (r.elapsedMs / 1000), p99: p99(r.latenciesMs) };
  };

  const baseline = await inProcessBaseline(big, () => rand());

  const variants = {
    "c1   mlpack serve, 64-128-10": (s = seconds) => load(servers.c1Mlpack, smallBodies, 1, s),
    "c1   minimal server, 64-128-10": (s = seconds) => load(servers.c1Minimal, smallBodies, 1, s),
    "c64  mlpack serve, 25M int8": (s = seconds) => load(servers.c64Mlpack, bigBodies, 64, s),
    "c64  in-process batch 16, 25M int8": (s = seconds) => baseline.run(16, s),
  };
  variants["c64  mlpack serve, 25M int8, binary extension"] = (s = seconds) =>
    load(servers.c64Mlpack, binBodies, 64, s, binHeaders);
  if (old) {
    variants[`c1   mlpack serve (${old}), 64-128-10`] = (s = seconds) =>
      load(servers.c1Old, smallBodies, 1, s);
    variants[`c64  mlpack serve (${old}), 25M int8`] = (s = seconds) =>
      load(servers.c64Old, bigBodies, 64, s);
  }
  // Warm-up: JIT, page cache, thread pools.
  const warm = async () => {
    for (const f of Object.values(variants)) await f(1);
  };
  await warm();
  Object.assign(totals, { sent: 0, errors: 0 });
  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    if (fresh && r > 0) {
      // New server processes each round (see --fresh above).
      await stopAll();
      await startAll();
      const counted = { ...totals };
      await warm();
      Object.assign(totals, counted);
    }
    for (const [k, f] of Object.entries(variants)) samples[k].push(await f(seconds));
  }

  await stopAll();
  await baseline.release();
  fs.rmSync(dir, { recursive: true, force: true });

  const m = Object.fromEntries(
    Object.entries(samples).map(([k, v]) => [
      k,
      { rate: median(v.map((x) => x.rate)), p99: median(v.map((x) => x.p99)) },
    ]),
  );
  console.log(
    `${rounds} rounds × ${seconds} s, interleaved${fresh ? ", new server processes each round" : ""}; ${os.availableParallelism()} cores; bodies: ${bodyKind}; raw HTTP client in a worker thread`,
  );
  console.log(`\n${"variant".padEnd(48)} ${"rows/s".padStart(8)} ${"p99 ms".padStart(8)}   rounds (rows/s)`);
  for (const [k, v] of Object.entries(m))
    console.log(
      `  ${k.padEnd(46)} ${v.rate.toFixed(0).padStart(8)} ${v.p99.toFixed(2).padStart(8)}   [${samples[k].map((x) => x.rate.toFixed(0)).join(", ")}]`,
    );
  const keys = Object.keys(variants);
  const r1 = m[keys[0]].rate / m[keys[1]].rate;
  const r2 = m[keys[2]].rate / m[keys[3]].rate;
  const r3 = m[keys[4]].rate / m[keys[3]].rate;
  console.log(`\nrequests: ${totals.sent} sent, ${totals.errors} not answered 200`);
  console.log(`ratio  c1:  mlpack serve / minimal server        ${r1.toFixed(3)}   (goal >= 0.8)`);
  console.log(`ratio  c64: mlpack serve / in-process batch 16   ${r2.toFixed(3)}   (goal >= 0.9)`);
  console.log(`ratio  c64: binary extension / in-process        ${r3.toFixed(3)}   (goal >= 1.0)`);
  if (old) {
    console.log(`ratio  c1:  this build / ${old}   ${(m[keys[0]].rate / m[keys[5]].rate).toFixed(3)}`);
    console.log(`ratio  c64: this build / ${old}   ${(m[keys[2]].rate / m[keys[6]].rate).toFixed(3)}`);
  }
  console.log(totals.errors === 0 && r1 >= 0.8 && r2 >= 0.9 && r3 >= 1.0 ? "PASS" : "BELOW GOAL");
}
