/**
 * Agreement with the real runtime: for every backend-suite model, `validate --target ort-cpu` predicts
 * whether onnxruntime-node can create a session. Sessions are created in a child process per chunk, so
 * a native crash in the runtime costs one chunk's verdicts, not the test run.
 */
import fs from "node:fs";
import path from "node:path";
import { fork } from "node:child_process";
import { describe, expect, it } from "vitest";
import { readModel } from "../src/onnx/read.js";
import { validateModelProto } from "../src/passes/validate.js";
import { loadTarget } from "../src/ops/support/targets.js";
import { BACKEND, REPO } from "./helpers/cli.js";

const cases = fs
  .readdirSync(BACKEND)
  .filter((d) => fs.existsSync(path.join(BACKEND, d, "model.onnx")))
  .sort();

/** Runs test/helpers/create-sessions.mjs over the files; returns file -> null (ok) or error text. */
function createSessions(files: string[]): Promise<Map<string, string | null>> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(REPO, "test/helpers/create-sessions.mjs"), [], {
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    const out = new Map<string, string | null>();
    child.on("message", (m: { file: string; error: string | null }) => out.set(m.file, m.error));
    child.on("exit", () => {
      for (const f of files) if (!out.has(f)) out.set(f, "runtime crashed");
      resolve(out);
    });
    child.on("error", reject);
    child.send(files);
  });
}

describe("validate --target ort-cpu agrees with onnxruntime-node", () => {
  it("predicts session creation for the backend suite (>= 98%)", async () => {
    const target = await loadTarget("ort-cpu");
    const files = cases.map((c) => path.join(BACKEND, c, "model.onnx"));
    const actual = new Map<string, string | null>();
    const chunk = Math.ceil(files.length / 2);
    const parts = await Promise.all([
      createSessions(files.slice(0, chunk)),
      createSessions(files.slice(chunk)),
    ]);
    for (const p of parts) for (const [k, v] of p) actual.set(k, v);
    let agree = 0;
    const falseOk: string[] = [];
    const falseBad: string[] = [];
    for (const f of files) {
      const m = await readModel(f);
      const r = validateModelProto(m.proto, f, { target });
      const predictedOk = r.valid;
      const actualOk = actual.get(f) === null;
      const name = path.basename(path.dirname(f));
      if (predictedOk === actualOk) agree++;
      else if (predictedOk) falseOk.push(`${name}: runtime said ${actual.get(f)}`);
      else falseBad.push(`${name}: ${r.diagnostics.find((d) => d.severity === "error")?.message}`);
    }
    const rate = agree / files.length;
    console.log(`ort-cpu agreement: ${agree}/${files.length} = ${(100 * rate).toFixed(2)}%`);
    console.log(`predicted ok but the runtime refused (${falseOk.length}):\n  ${falseOk.join("\n  ")}`);
    console.log(
      `predicted refused but the runtime loaded it (${falseBad.length}):\n  ${falseBad.join("\n  ")}`,
    );
    expect(rate).toBeGreaterThanOrEqual(0.98);
  }, 300_000);
});
