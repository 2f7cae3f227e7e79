/**
 * `validate`: runs the checks as named passes in a fixed, printed order and collects every
 * diagnostic (it never stops at the first problem).
 */
import type { ModelProto } from "../onnx/proto.js";
import { DiagnosticBag, type Diagnostic } from "../diagnostics.js";
import { buildContext, type ValidationContext } from "./validate-context.js";
import { validateModelHeader } from "./validate-model.js";
import { validateGraphs } from "./validate-graph.js";
import { validateNodes } from "./validate-nodes.js";
import { validateTarget } from "./validate-target.js";
import type { TargetSupport } from "../ops/support/types.js";

export interface ValidateOptions {
  target?: TargetSupport;
}

export interface ValidationReport {
  /** Version of the --json schema. */
  schemaVersion: 1;
  model: string;
  target: { id: string; description: string } | null;
  valid: boolean;
  errors: number;
  warnings: number;
  passes: string[];
  diagnostics: Diagnostic[];
}

interface Pass {
  name: string;
  run(ctx: ValidationContext): void;
}

export function validatePasses(opts: ValidateOptions): Pass[] {
  const passes: Pass[] = [
    { name: "model-header", run: validateModelHeader },
    { name: "graph-structure", run: validateGraphs },
    { name: "node-schemas", run: validateNodes },
  ];
  const target = opts.target;
  if (target) passes.push({ name: `target:${target.id}`, run: (ctx) => validateTarget(ctx, target) });
  return passes;
}

export function validateModelProto(
  proto: ModelProto,
  source: string,
  opts: ValidateOptions = {},
): ValidationReport {
  const bag = new DiagnosticBag();
  const ctx = buildContext(proto, source, bag);
  const passes = validatePasses(opts);
  for (const p of passes) p.run(ctx);
  const order = { error: 0, warning: 1, info: 2 } as const;
  const diagnostics = [...bag.items].sort((a, b) => order[a.severity] - order[b.severity]);
  return {
    schemaVersion: 1,
    model: source,
    target: opts.target ? { id: opts.target.id, description: opts.target.description } : null,
    valid: bag.errorCount === 0,
    errors: bag.errorCount,
    warnings: bag.warningCount,
    passes: passes.map((p) => p.name),
    diagnostics,
  };
}
