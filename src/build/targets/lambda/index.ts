/** The lambda target: an AWS Lambda deployment zip serving the shipped model with onnxruntime. */
import path from "node:path";
import { fmtMiB, shownPath } from "../../events.js";
import { defineTarget, packageVersion } from "../types.js";
import type { LambdaTargetConfig } from "./config.js";

export const lambdaTarget = defineTarget<LambdaTargetConfig>({
  name: "lambda",
  ships: "quantized",
  validateFor: "ort-cpu",
  // The handler bakes in the server section's intra-op threads; the zip carries onnxruntime-node.
  cacheKey: async ({ ctx, config }) => ({
    config,
    server: ctx.config.server ?? {},
    onnxruntime: packageVersion("onnxruntime-node"),
  }),
  async build({ ctx, config, model }) {
    const { buildLambdaZip } = await import("../../../artifacts/lambda/build.js");
    const r = await buildLambdaZip({
      model,
      name: ctx.name,
      version: ctx.version,
      lambda: config,
      server: ctx.config.server,
      output: path.join(ctx.outDir, `${ctx.name}-lambda.zip`),
      logger: ctx.log,
    });
    return {
      artifact: {
        target: "lambda",
        kind: "zip",
        path: r.zipPath,
        bytes: r.zippedBytes,
        sha256: r.sha256,
        details: {
          unzippedBytes: r.unzippedBytes,
          breakdown: r.breakdown,
          handler: r.handler,
          runtime: config.runtime ?? "nodejs20.x",
          arch: config.arch ?? "x86_64",
          onnxruntime: r.onnxruntimeVersion,
          warnings: r.warnings,
        },
      },
      outputs: [r.zipPath],
    };
  },
  summarize: (a) =>
    `${fmtMiB(a.bytes)} zipped, ${fmtMiB((a.details?.unzippedBytes as number) ?? 0)} unzipped → ${shownPath(a.path)}`,
});
