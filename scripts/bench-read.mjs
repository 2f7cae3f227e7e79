// Benchmark: inspect and validate on a 100 MB+ model versus reading the file from disk.
// Runs each measurement interleaved (A, B, C, A, B, C, ...) and reports medians and ratios, so machine
// noise hits every variant alike. Usage: npm run bench:read [-- --mb 400 --reps 9]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { inspect, validate, writeModel } from "../dist/index.js";
import { makeMlp } from "../dist/onnx/fixtures.js";
import { formatBytes } from "../dist/format-bytes.js";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const targetMb = opt("mb", 120);
const reps = opt("reps", 7);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlpack-bench-"));
const width = Math.round(Math.sqrt((targetMb * 1e6) / 4 / 3));
const file = path.join(dir, "model.onnx");
await writeModel(makeMlp({ widths: [width, width, width, width], seed: 3 }), file);
const size = fs.statSync(file).size;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = async (f) => {
  const t0 = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
};
const proc = (cmd, argv) => () => {
  const r = spawnSync(cmd, argv, { stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(" ")} failed`);
};

const variants = {
  "read file (fs.readFile)": () => fs.promises.readFile(file),
  "inspect (library)": () => inspect(file),
  "validate (library)": () => validate(file),
  "validate --target ort-cpu (library)": () => validate(file, { target: "ort-cpu" }),
  "cat file > /dev/null (process)": proc("sh", ["-c", `cat '${file}' > /dev/null`]),
  "node -e '' (process start only)": proc(process.execPath, ["-e", ""]),
  "node reads the file (process)": proc(process.execPath, [
    "-e",
    `require("fs").readFileSync(${JSON.stringify(file)})`,
  ]),
  "mlpack inspect (CLI process)": proc(process.execPath, [path.join(root, "bin/mlpack.js"), "inspect", file]),
  "mlpack validate (CLI process)": proc(process.execPath, [
    path.join(root, "bin/mlpack.js"),
    "validate",
    file,
  ]),
};
const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (const f of Object.values(variants)) await f(); // warm the page cache and the JIT
for (let r = 0; r < reps; r++) for (const [k, f] of Object.entries(variants)) samples[k].push(await time(f));

const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
const read = m["read file (fs.readFile)"];
const cat = m["cat file > /dev/null (process)"];
const nodeStart = m["node -e '' (process start only)"];
const nodeRead = m["node reads the file (process)"];
console.log(`model: ${formatBytes(size)} (MLP ${width}x${width} x3), ${reps} interleaved reps, medians`);
console.log(`${"variant".padEnd(40)} ${"ms".padStart(9)}  ratio`);
for (const [k, v] of Object.entries(m)) {
  const base = k.includes("(library)") ? read : k.includes("CLI") ? nodeRead : null;
  const label = k.includes("CLI") ? "node read" : "read";
  console.log(
    `${k.padEnd(40)} ${v.toFixed(1).padStart(9)}  ${base ? `${(v / base).toFixed(2)}x ${label}` : ""}`,
  );
}
const ratio = (a, b) => `${(a / b).toFixed(2)}x`;
console.log(`\ninspect / read (in process)        = ${ratio(m["inspect (library)"], read)}   (goal < 2x)`);
console.log(`validate / read (in process)       = ${ratio(m["validate (library)"], read)}   (goal < 2x)`);
console.log(`validate --target ort-cpu / read   = ${ratio(m["validate --target ort-cpu (library)"], read)}`);
console.log(
  `CLI inspect / node reading the file = ${ratio(m["mlpack inspect (CLI process)"], nodeRead)}   (both start Node: ${nodeStart.toFixed(0)} ms)`,
);
console.log(`CLI validate / node reading the file = ${ratio(m["mlpack validate (CLI process)"], nodeRead)}`);
console.log(
  `CLI inspect / cat                  = ${ratio(m["mlpack inspect (CLI process)"], cat)}   (cat pays no runtime start-up)`,
);
fs.rmSync(dir, { recursive: true, force: true });
