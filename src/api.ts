/**
 * One call per CLI command: path in, result object out. Each function imports what it needs on
 * demand, so `mlpack inspect` does not pay for loading the op-schema tables or the runtime.
 */
import type { ReadModelOptions } from "./onnx/read.js";
import type { ModelSummary } from "./inspect/summary.js";
import type { ValidationReport } from "./passes/validate.js";

export async function inspect(path: string, opts: ReadModelOptions = {}): Promise<ModelSummary> {
  const [{ readModel }, { summarizeModel }] = await Promise.all([
    import("./onnx/read.js"),
    import("./inspect/summary.js"),
  ]);
  return summarizeModel(await readModel(path, opts));
}

export interface ValidateApiOptions extends ReadModelOptions {
  target?: string;
  /**
   * Concrete shapes for inputs with symbolic dims (name -> dims), as the target will see them: the
   * TF.js bundle freezes them, so ops that need static sizes (Resize) validate.
   */
  shapes?: Record<string, number[]>;
}

export async function validate(path: string, opts: ValidateApiOptions = {}): Promise<ValidationReport> {
  const [{ readModel }, { validateModelProto }, { loadTarget }] = await Promise.all([
    import("./onnx/read.js"),
    import("./passes/validate.js"),
    import("./ops/support/targets.js"),
  ]);
  const target = opts.target ? await loadTarget(opts.target) : undefined;
  const model = await readModel(path, opts);
  if (opts.shapes) {
    const { tensorType } = await import("./onnx/build.js");
    for (const v of model.proto.graph?.input ?? []) {
      const dims = opts.shapes[v.name];
      if (dims && v.type?.value.case === "tensorType") v.type = tensorType(v.type.value.value.elemType, dims);
    }
  }
  return validateModelProto(model.proto, model.source, { target });
}
