/**
 * The ONNX backend node suite: every model parses, re-encodes byte-exactly (directly and through the
 * IR), and validates with no error (these models are valid by definition).
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readModel } from "../src/onnx/read.js";
import { encodeModelProto } from "../src/onnx/proto.js";
import { modelFromProto, modelToProto } from "../src/ir/graph.js";
import { validateModelProto } from "../src/passes/validate.js";
import { BACKEND } from "./helpers/cli.js";

const cases = fs
  .readdirSync(BACKEND)
  .filter((d) => fs.existsSync(path.join(BACKEND, d, "model.onnx")))
  .sort();

describe("ONNX backend suite conformance", () => {
  it(`has the suite (${cases.length} cases)`, () => {
    expect(cases.length).toBeGreaterThan(1800);
  });

  it("every model parses, round-trips byte-exactly and validates without errors", async () => {
    const failures: string[] = [];
    for (const c of cases) {
      const file = path.join(BACKEND, c, "model.onnx");
      const bytes = fs.readFileSync(file);
      try {
        const m = await readModel(file);
        if (Buffer.compare(Buffer.from(encodeModelProto(m.proto)), bytes) !== 0)
          failures.push(`${c}: proto round-trip differs`);
        if (
          Buffer.compare(Buffer.from(encodeModelProto(modelToProto(modelFromProto(m.proto)))), bytes) !== 0
        ) {
          failures.push(`${c}: IR round-trip differs`);
        }
        const r = validateModelProto(m.proto, c);
        for (const d of r.diagnostics.filter((x) => x.severity === "error"))
          failures.push(`${c}: ${d.code} ${d.message}`);
      } catch (e) {
        failures.push(`${c}: threw ${(e as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
