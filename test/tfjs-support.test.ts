/**
 * `validate --target tfjs` (the declared table in src/convert/tfjs/support.ts) against the converter
 * itself on the ONNX backend suite: a model validate refuses must never convert, and the agreement rate
 * is reported (validate cannot see shape-dependent limits such as run-time axes inputs).
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readModel } from "../src/onnx/read.js";
import { validateModelProto } from "../src/passes/validate.js";
import { convertLoadedModel, TfjsConversionError } from "../src/convert/tfjs/convert.js";
import { tfjsSupport } from "../src/convert/tfjs/support.js";
import { BACKEND } from "./helpers/cli.js";

const cases = fs
  .readdirSync(BACKEND)
  .filter((d) => fs.existsSync(path.join(BACKEND, d, "model.onnx")))
  .sort();

describe("validate --target tfjs agrees with the converter", () => {
  it("never refuses a model the converter converts; reports the agreement", async () => {
    let agree = 0;
    const refusedButConverts: string[] = [];
    const okButRefused: string[] = [];
    for (const c of cases) {
      const file = path.join(BACKEND, c, "model.onnx");
      const predicted = validateModelProto((await readModel(file)).proto, c, { target: tfjsSupport }).valid;
      let converts = true;
      try {
        convertLoadedModel(await readModel(file));
      } catch (e) {
        if (!(e instanceof TfjsConversionError)) throw e;
        converts = false;
      }
      if (predicted === converts) agree++;
      else if (converts) refusedButConverts.push(c);
      else okButRefused.push(c);
    }
    console.log(
      `tfjs target agreement: ${agree}/${cases.length} = ${((100 * agree) / cases.length).toFixed(1)}%; ` +
        `validate ok but the converter refused: ${okButRefused.length} (shape-dependent limits)`,
    );
    expect(refusedButConverts).toEqual([]);
    expect(agree / cases.length).toBeGreaterThan(0.8);
  }, 300_000);
});
