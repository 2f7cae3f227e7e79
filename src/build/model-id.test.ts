import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeMlp } from "../onnx/fixtures.js";
import { writeModel } from "../onnx/write.js";
import { modelId } from "./build.js";
import { BuildCache, sha256File } from "./cache.js";
import { tempDir } from "../../test/helpers/tmp.js";

describe("the source model's identity in cache keys", () => {
  it("covers its external data files: new weights in the .data file rebuild", async () => {
    const dir = tempDir("mlpack-model-id-");
    const model = path.join(dir, "model.onnx");
    await writeModel(makeMlp({ widths: [8, 8, 2] }), model, { externalData: "always", sizeThreshold: 0 });
    const cache = new BuildCache(path.join(dir, "dist/.mlpack-cache"));
    const sha = await sha256File(model);
    const before = await modelId(cache, model, sha);
    expect(before).not.toBe(sha);
    const data = path.join(dir, "model.onnx.data");
    const bytes = fs.readFileSync(data);
    bytes[0] ^= 0xff;
    fs.writeFileSync(data, bytes);
    fs.utimesSync(data, new Date(), new Date(Date.now() + 5000));
    expect(await sha256File(model)).toBe(sha); // the .onnx itself is unchanged
    expect(await modelId(cache, model, sha)).not.toBe(before);
  });

  it("is the file's sha256 when the model has no external data", async () => {
    const dir = tempDir("mlpack-model-id-");
    const model = path.join(dir, "model.onnx");
    await writeModel(makeMlp({ widths: [8, 2] }), model, { externalData: "never" });
    const sha = await sha256File(model);
    expect(await modelId(new BuildCache(path.join(dir, "c")), model, sha)).toBe(sha);
  });
});
