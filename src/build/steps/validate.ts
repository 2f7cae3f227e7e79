/**
 * Step 1: the model must be valid ONNX and supported by the runtime of every chosen target (each
 * target declares it: onnxruntime CPU for docker and lambda, the TF.js converter for tfjs) — checked
 * before minutes of quantizing and benchmarking are spent.
 */
import { UserError } from "../../errors.js";
import type { BuildStep, StepContext } from "../types.js";
import { hashJson } from "../cache.js";
import { getTarget } from "../targets/registry.js";
import { tfjsInputShapes as tfjsShapes } from "../targets/tfjs/input-shapes.js";

interface Checked {
  target: string;
  errors: number;
  warnings: number;
}

/** The runtimes the chosen targets run the model on (each target declares its own), sorted. */
const runtimesOf = (ctx: StepContext) =>
  [...new Set(ctx.targets.map((t) => getTarget(t).validateFor))].sort();

const validateKey = async (ctx: StepContext) => ({
  model: ctx.sourceSha256,
  runtimes: runtimesOf(ctx),
  shapes: tfjsShapes(ctx) ?? null,
  v: ctx.mlpackVersion,
});

export const validateStep: BuildStep = {
  name: "validate",
  cacheKey: validateKey,
  async run(ctx) {
    const { validate } = await import("../../api.js");
    const targets = runtimesOf(ctx);
    const needing = (runtime: string) => ctx.targets.filter((t) => getTarget(t).validateFor === runtime);
    const key = hashJson(await validateKey(ctx));
    const cached = ctx.cache.get<Checked[]>("validate", key);
    const results: Checked[] = cached ?? [];
    if (!cached) {
      for (const target of targets.length ? targets : [undefined]) {
        // The TF.js bundle freezes the configured shapes, so the converter validates with them.
        const shapes = target === "tfjs" ? tfjsShapes(ctx) : undefined;
        const report = await validate(ctx.sourceModel, { target, shapes });
        if (!report.valid) {
          const errs = report.diagnostics.filter((d) => d.severity === "error");
          const where = target ? ` for ${target}` : "";
          throw new UserError(
            `${ctx.sourceModel}: ${report.errors} validation error(s)${where}: ${errs
              .slice(0, 3)
              .map((d) => `${d.node ? `node "${d.node.name}" (${d.node.opType}): ` : ""}${d.message}`)
              .join("; ")}${errs.length > 3 ? "; ..." : ""}`,
            {
              hint: `run \`mlpack validate ${ctx.sourceModel}${target ? ` --target ${target}` : ""}\` for every diagnostic${
                target
                  ? `, or remove ${needing(target)
                      .map((t) => `targets.${t}`)
                      .join(" and ")}`
                  : ""
              }`,
            },
          );
        }
        results.push({ target: target ?? "onnx", errors: report.errors, warnings: report.warnings });
      }
      ctx.cache.put("validate", key, results, []);
    }
    const warnings = results.reduce((n, r) => n + r.warnings, 0);
    ctx.manifest.validate = { errors: 0, warnings, targets };
    return {
      status: cached ? "cached" : "ok",
      summary: `valid${targets.length ? ` for ${targets.join(" and ")}` : " ONNX"}, ${warnings} warning(s)`,
    };
  },
};
