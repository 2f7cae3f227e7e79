/** Can the chosen runtime run every node? Uses the target's support table (probed for ort-cpu). */
import type { TargetSupport } from "../ops/support/types.js";
import { normalizeDomain } from "../ops/schema/registry.js";
import { formalAt, isTypeParam } from "./infer-types.js";
import { nodeRef, type ValidationContext } from "./validate-context.js";
import { resolveNodeSchema } from "./validate-nodes.js";

export function validateTarget(ctx: ValidationContext, target: TargetSupport): void {
  const d = ctx.diagnostics;
  const ir = Number(ctx.proto.irVersion);
  if (ir > target.maxIrVersion) {
    d.error(
      "target-ir-version",
      `${target.id} reads IR versions up to ${target.maxIrVersion}; the model is IR ${ir}`,
      {
        hint: "re-export with an older exporter, or upgrade the runtime",
      },
    );
  }
  const opsetReported = new Set<string>();
  for (const scope of ctx.scopes) {
    for (const [domain, version] of scope.opsets) {
      const max = target.maxOpset(domain);
      const label = domain || "ai.onnx";
      if (max !== undefined && version > max && !opsetReported.has(domain)) {
        opsetReported.add(domain);
        d.error(
          "target-opset",
          `${target.id} supports ${label} up to opset ${max}; the model imports ${version}`,
          {
            hint: `convert the model to opset ${max} or upgrade the runtime`,
          },
        );
      }
    }
    for (const node of scope.graph.nodes) {
      if (ctx.functions.has(`${node.domain}::${node.opType}`)) continue; // its body is checked as its own scope
      const domain = normalizeDomain(node.domain);
      const opset = scope.opsets.get(domain);
      if (opset === undefined) continue; // already an error from validate-nodes
      if (opsetReported.has(domain)) continue;
      const schema = resolveNodeSchema(scope, node);
      const types: Record<string, string | undefined> = {};
      if (schema) {
        const bind = (names: string[], formals: typeof schema.inputs) =>
          names.forEach((n, i) => {
            const f = formalAt(formals, i);
            if (!f || n === "" || !isTypeParam(schema, f.type) || types[f.type] !== undefined) return;
            if (f.option === "variadic" && !f.homogeneous) return;
            types[f.type] = scope.types.get(n);
          });
        bind(node.inputs, schema.inputs);
        bind(node.outputs, schema.outputs);
      }
      const answer = target.check({
        domain,
        opType: node.opType,
        sinceVersion: schema?.sinceVersion,
        opsetVersion: opset,
        types,
      });
      if (!answer.supported) {
        d.error("target-unsupported", answer.reason, { node: nodeRef(scope, node), hint: answer.hint });
      }
    }
  }
}
