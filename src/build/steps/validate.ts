/** Step 1: the model must be valid ONNX, and runnable by onnxruntime CPU when a server target ships it. */
import { UserError } from "../../errors.js";
import type { BuildStep } from "../types.js";

export const validateStep: BuildStep = {
  name: "validate",
  async run(ctx) {
    const { validate } = await import("../../api.js");
    const targets = ctx.config.targets;
    const target = targets.docker || targets.lambda ? "ort-cpu" : undefined;
    const key = `${ctx.sourceSha256}:${target ?? "spec"}:${ctx.mlpackVersion}`;
    const cached = ctx.cache.get<{ errors: number; warnings: number }>("validate", key);
    const result =
      cached ??
      (await (async () => {
        const report = await validate(ctx.sourceModel, { target });
        if (!report.valid) {
          const errs = report.diagnostics.filter((d) => d.severity === "error");
          throw new UserError(
            `${ctx.sourceModel}: ${report.errors} validation error(s): ${errs
              .slice(0, 3)
              .map((d) => `${d.node ? `node "${d.node}": ` : ""}${d.message}`)
              .join("; ")}${errs.length > 3 ? "; ..." : ""}`,
            {
              hint: `run \`mlpack validate ${ctx.sourceModel}${target ? ` --target ${target}` : ""}\` for every diagnostic`,
            },
          );
        }
        const r = { errors: report.errors, warnings: report.warnings };
        ctx.cache.put("validate", key, r, []);
        return r;
      })());
    ctx.manifest.validate = { ...result, targets: target ? [target] : [] };
    return {
      status: cached ? "cached" : "ok",
      summary: `valid${target ? ` for ${target}` : ""}, ${result.warnings} warning(s)`,
    };
  },
};
