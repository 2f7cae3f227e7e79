/** provided.al2023 with Node.js shipped in the zip (bin/node, ~100 MB): bootstrap finds and runs it. */
import fs from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { buildLambdaZip } from "../src/artifacts/lambda/build.js";
import { startRuntimeApi } from "../src/artifacts/lambda/local/runtime-api.js";
import { readZipFileDirectory } from "../src/artifacts/lambda/zip-read.js";
import { EXEC_MODE } from "../src/artifacts/lambda/zip-write.js";
import { makeMlp } from "../src/onnx/fixtures.js";
import { encodeModelProto } from "../src/onnx/proto.js";
import { httpEvent, startFunction, unzipTo } from "./helpers/lambda.js";
import { tempDir } from "./helpers/tmp.js";

it("ships bin/node as an executable and bootstrap runs it when PATH has no node", async () => {
  const dir = tempDir("mlpack-lambda-node-");
  const model = path.join(dir, "mlp.onnx");
  fs.writeFileSync(model, encodeModelProto(makeMlp({ widths: [4, 8, 3], seed: 5 })));
  const zip = path.join(dir, "fn.zip");
  const r = await buildLambdaZip({
    model,
    output: zip,
    lambda: { runtime: "provided.al2023" },
    nodeBinary: process.execPath,
    compressionLevel: 1,
  });
  // Node.js is found, so no "has no Node.js" warning; ~100 MB of node does push the zip past 50 MB.
  expect(r.warnings.join("\n")).not.toMatch(/no Node\.js/);
  if (r.zippedBytes > 50 * 1024 * 1024) expect(r.warnings.join("\n")).toMatch(/upload it to S3/);
  expect(r.breakdown.node?.bytes).toBe(fs.statSync(process.execPath).size);
  const node = readZipFileDirectory(zip).find((e) => e.name === "bin/node")!;
  expect(node.mode.toString(8)).toBe(EXEC_MODE.toString(8));

  const root = path.join(dir, "task");
  unzipTo(zip, root);
  const api = await startRuntimeApi();
  const fn = startFunction(root, api, "provided", dir, { PATH: "/nonexistent" });
  try {
    const out = await api.invoke(httpEvent("GET", "/v2/models/mlp"));
    expect(out.type, fn.stderr()).toBe("response");
    expect(out.payload).toMatchObject({ statusCode: 200 });
  } finally {
    await fn.stop();
    await api.close();
  }
});
