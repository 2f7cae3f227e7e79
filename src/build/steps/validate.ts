/**
 * Step 1: the model must be valid ONNX, runnable by onnxruntime CPU when a server target (docker,
 * lambda) ships it, and convertible when the tfjs target is on — checked before minutes of quantizing
 * and benchmarking are spent.
 */
import { UserError } from "../../errors.js";
import type { BuildStep } from "../types.js";

interface Checked {
  target: string;
  errors: number;
  warnings: number;
}

export const validateStep: BuildStep = {
  name: "validate",
  async run(ctx) {
    const { validate } = await import("../../api.js");
    const t = ctx.targets;
    const targets = [
      ...(t.includes("docker") || t.includes("lambda") ? ["ort-cpu"] : []),
      ...(t.includes("tfjs") ? ["tfjs"] : []),
    ];
    const key = `${ctx.sourceSha256}:${targets.join(",") || "spec"}:${ctx.mlpackVersion}`;
    const cached = ctx.cache.get<Checked[]>("validate", key);
    const results: Checked[] = cached ?? [];
    if (!cached) {
      for (const target of targets.length ? targets : [undefined]) {
        const report = await validate(ctx.sourceModel, { target });
        if (!report.valid) {
          const errs = report.diagnostics.filter((d) => d.severity === "error");
          const where = target ? ` for ${target}` : "";
          throw new UserError(
            `${ctx.sourceModel}: ${report.errors} validation error(s)${where}: ${errs
              .slice(0, 3)
              .map((d) => `${d.node ? `node "${d.node.name}" (${d.node.opType}): ` : ""}${d.message}`)
              .join("; ")}${errs.length > 3 ? "; ..." : ""}`,
            {
              hint: `run \`mlpack validate ${ctx.sourceModel}${target ? ` --target ${target}` : ""}\` for every diagnostic${target === "tfjs" ? ", or remove targets.tfjs" : ""}`,
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
