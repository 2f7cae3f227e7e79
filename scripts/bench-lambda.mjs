// Cold start of the Lambda zip, measured side by side with what it cannot avoid: creating the
// onnxruntime session. Builds the zip (dist/ must be built: npm run build), unzips it, then per run:
//   session create: a fresh node process imports onnxruntime-node from the unzipped function and
//                   times InferenceSession.create() with the handler's options, alone;
//   cold start:     a fresh function process started the way Lambda starts it (the Node runtime's
//                   handler loading, or ./bootstrap), from spawn() to the first response arriving at
//                   the local Runtime API (the event is queued before the process starts).
// Budget (issue 7): cold start <= session create + 300 ms.
//
//   node scripts/bench-lambda.mjs [--model m.onnx] [--runs 5] [--memory 1769] [--runtime nodejs20.x|provided.al2023]
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = (p) => pathToFileURL(path.join(root, "dist", p)).href;
const { buildLambdaZip, formatBreakdown, mb } = await import(dist("artifacts/lambda/build.js"));
const { startRuntimeApi } = await import(dist("artifacts/lambda/local/runtime-api.js"));
const { writeNodeRuntimeShim } = await import(dist("artifacts/lambda/local/node-runtime.js"));
const { readZipDirectory, extractEntry } = await import(dist("artifacts/lambda/zip-read.js"));
const { makeMlp } = await import(dist("onnx/fixtures.js"));
const { encodeModelProto } = await import(dist("onnx/proto.js"));
const { readModel } = await import(dist("onnx/read.js"));
const { modelInfoFromProto } = await import(dist("serve/model-info.js"));
const { datatypeInfo } = await import(dist("serve/datatypes.js"));

const { values: args } = parseArgs({
  options: {
    model: { type: "string" },
    runs: { type: "string", default: "5" },
    memory: { type: "string", default: "1769" },
    runtime: { type: "string", default: "nodejs20.x" },
  },
});
const runs = Number(args.runs);
const work = fs.mkdtempSync(path.join(os.tmpdir(), "mlpack-bench-lambda-"));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  let model = args.model;
  if (!model) {
    model = path.join(work, "mlp-10mb.onnx");
    fs.writeFileSync(model, encodeModelProto(makeMlp({ widths: [784, 3200, 10], seed: 3 })));
  }
  const zip = path.join(work, "function.zip");
  const built = await buildLambdaZip({
    model,
    name: "m",
    output: zip,
    lambda: { memory: Number(args.memory), runtime: args.runtime },
  });
  const task = path.join(work, "task");
  const buf = fs.readFileSync(zip);
  for (const e of readZipDirectory(buf)) {
    const target = path.join(task, e.name);
    fs.mkdirSync(e.name.endsWith("/") ? target : path.dirname(target), { recursive: true });
    if (!e.name.endsWith("/")) fs.writeFileSync(target, extractEntry(buf, e), { mode: e.mode & 0o777 });
  }
  const shim = writeNodeRuntimeShim(work);
  const threads = built.settings.intraOpThreads;
  console.log(
    `model ${path.basename(model)} (${mb(fs.statSync(model).size)}), zip ${mb(built.zippedBytes)}: ${formatBreakdown(built)}`,
  );
  console.log(
    `runtime ${args.runtime}, memory ${args.memory} MB -> ${threads} intra-op thread(s), ${runs} runs, node ${process.version}`,
  );

  // The same session options as templates/lambda/index.mjs.
  const createOnly = `
    import { createRequire } from "node:module";
    const tImport = performance.now();
    const ort = createRequire(${JSON.stringify(path.join(task, "index.mjs"))})("onnxruntime-node");
    const t0 = performance.now();
    process.stderr.write(String(t0 - tImport));
    const s = await ort.InferenceSession.create(${JSON.stringify(path.join(task, "model", path.basename(model)))}, {
      intraOpNumThreads: ${threads}, interOpNumThreads: 1, executionMode: "sequential",
      graphOptimizationLevel: "all", logSeverityLevel: 3 });
    process.stdout.write(String(performance.now() - t0));`;
  // The first request is a real inference (zeros; symbolic dims = 1), so the first session.run counts.
  const info = modelInfoFromProto((await readModel(model)).proto, { name: "m", version: "1", path: model });
  const inputs = info.inputs.map((t) => {
    const shape = (t.shape ?? [1]).map((d) => (typeof d === "number" ? d : 1));
    const n = shape.reduce((a, b) => a * b, 1);
    const kind = datatypeInfo(t.datatype).kind;
    const zero = kind === "bool" ? false : kind === "string" ? "" : 0;
    return { name: t.name, datatype: t.datatype, shape, data: new Array(n).fill(zero) };
  });
  const event = {
    version: "2.0",
    rawPath: "/v2/models/m/infer",
    rawQueryString: "",
    headers: { "content-type": "application/json" },
    requestContext: { stage: "$default", http: { method: "POST", path: "/v2/models/m/infer" } },
    body: JSON.stringify({ inputs }),
    isBase64Encoded: false,
  };
  const env = (api) => ({
    PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`,
    AWS_LAMBDA_RUNTIME_API: api.address,
    LAMBDA_TASK_ROOT: task,
    _HANDLER: "index.handler",
  });

  const create = [];
  const cold = [];
  const init = [];
  const imports = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", createOnly], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`session create failed: ${r.stderr}`);
    create.push(Number(r.stdout));
    imports.push(Number(r.stderr));

    const api = await startRuntimeApi();
    const answered = api.invoke(event);
    const t0 = performance.now();
    const child =
      args.runtime === "provided.al2023"
        ? spawn(path.join(task, "bootstrap"), [], { cwd: task, env: env(api), stdio: "ignore" })
        : spawn(process.execPath, [shim], { cwd: task, env: env(api), stdio: "ignore" });
    const out = await answered;
    cold.push(performance.now() - t0);
    init.push(api.firstNextAt - t0);
    if (out.type !== "response" || out.payload.statusCode !== 200)
      throw new Error(`bad response ${JSON.stringify(out)}`);
    child.kill("SIGKILL");
    await new Promise((resolve) => child.on("exit", resolve));
    await api.close();
  }
  const [c, s, n] = [median(cold), median(create), median(init)];
  const f = (x) => `${x.toFixed(0)} ms`;
  console.log(
    `session create alone      median ${f(s)}  (runs: ${create.map((x) => x.toFixed(0)).join(", ")})`,
  );
  console.log(
    `import onnxruntime-node   median ${f(median(imports))}  (loads the native library; not in "session create")`,
  );
  console.log(`init (spawn -> first /next) median ${f(n)}`);
  console.log(
    `cold start (spawn -> 1st response) median ${f(c)}  (runs: ${cold.map((x) => x.toFixed(0)).join(", ")})`,
  );
  console.log(
    `cold start - session create = ${f(c - s)} (budget 300 ms: ${c - s <= 300 ? "PASS" : "FAIL"}), ratio ${(c / s).toFixed(2)}x`,
  );
  if (c - s > 300) process.exitCode = 1;
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
