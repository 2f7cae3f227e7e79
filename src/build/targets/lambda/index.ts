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
    // The SAM template sits beside the zip and names it relatively, so the folder deploys as is.
    let samTemplate: string | undefined;
    if (config.template === "sam") {
      const { writeSamTemplate } = await import("../../../artifacts/lambda/sam.js");
      samTemplate = writeSamTemplate(ctx.outDir, {
        name: ctx.name,
        version: ctx.version,
        codeUri: path.basename(r.zipPath),
        handler: r.handler,
        runtime: r.settings.runtime,
        arch: r.settings.arch,
        memory: r.settings.memory,
        sam: config.sam,
      });
    }
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
          ...(samTemplate
            ? { samTemplate, deployment: config.sam?.deployment ?? "Canary10Percent5Minutes" }
            : {}),
        },
      },
      outputs: samTemplate ? [r.zipPath, samTemplate] : [r.zipPath],
    };
  },
  summarize: (a) =>
    `${fmtMiB(a.bytes)} zipped, ${fmtMiB((a.details?.unzippedBytes as number) ?? 0)} unzipped → ${shownPath(a.path)}` +
    (a.details?.samTemplate
      ? ` + SAM ${shownPath(a.details.samTemplate as string)} (${a.details.deployment as string})`
      : ""),
});
