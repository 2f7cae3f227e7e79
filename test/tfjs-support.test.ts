/**
 * `validate --target tfjs` (src/ops/support/tfjs.ts: the converter's own graph walk, dry) against the
 * converter itself on every case of the ONNX backend suite: the two verdicts must agree case by case,
 * and a refusal's hint names the real cause.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readModel } from "../src/onnx/read.js";
import { validateModelProto } from "../src/passes/validate.js";
import { convertLoadedModel, TfjsConversionError } from "../src/convert/tfjs/convert.js";
import { tfjsSupport } from "../src/ops/support/tfjs.js";
import { makeModel, makeNode, makeValueInfo } from "../src/onnx/build.js";
import { DT } from "../src/onnx/dtypes.js";
import { BACKEND } from "./helpers/cli.js";

const cases = fs
  .readdirSync(BACKEND)
  .filter((d) => fs.existsSync(path.join(BACKEND, d, "model.onnx")))
  .sort();

describe("validate --target tfjs agrees with the converter", () => {
  it("gives the converter's verdict on every backend-suite case", async () => {
    const disagree: string[] = [];
    let converts = 0;
    for (const c of cases) {
      const file = path.join(BACKEND, c, "model.onnx");
      const v = validateModelProto((await readModel(file)).proto, c, { target: tfjsSupport });
      const targetErrors = v.diagnostics.filter(
        (d) => d.severity === "error" && d.code.startsWith("target-"),
      );
      let ok = true;
      try {
        convertLoadedModel(await readModel(file));
      } catch (e) {
        if (!(e instanceof TfjsConversionError)) throw e;
        ok = false;
      }
      if (ok) converts++;
      if ((targetErrors.length === 0) !== ok)
        disagree.push(
          `${c}: convert ${ok ? "ok" : "refuses"}, validate ${targetErrors.map((d) => d.message).join("; ") || "ok"}`,
        );
    }
    console.log(`tfjs target: ${cases.length} cases, ${converts} convert, ${disagree.length} disagreements`);
    expect(disagree).toEqual([]);
  }, 600_000);

  it("a static shape problem is not blamed on symbolic dims (no --shape hint)", () => {
    const proto = makeModel({
      nodes: [makeNode("Add", ["a", "b"], ["y"])],
      inputs: [makeValueInfo("a", DT.FLOAT, [2, 3]), makeValueInfo("b", DT.FLOAT, [4])],
      outputs: [makeValueInfo("y", DT.FLOAT, [2, 3])],
    });
    const v = validateModelProto(proto, "bad-add", { target: tfjsSupport });
    const e = v.diagnostics.find((d) => d.code === "target-unsupported");
    expect(e?.message).toMatch(/broadcast/);
    expect(e?.hint).not.toMatch(/--shape/);
    expect(e?.hint).toMatch(/do not broadcast/);
    let err: unknown;
    try {
      convertLoadedModel({ proto, source: "bad-add" } as Parameters<typeof convertLoadedModel>[0]);
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(TfjsConversionError);
    expect((err as TfjsConversionError).hint).not.toMatch(/--shape/);
  });
});
