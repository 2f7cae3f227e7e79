/** One call per CLI command: path in, result object out. */
import { readModel, type ReadModelOptions } from "./onnx/read.js";
import { summarizeModel, type ModelSummary } from "./inspect/summary.js";
import { validateModelProto, type ValidationReport } from "./passes/validate.js";
import { loadTarget } from "./ops/support/targets.js";

export async function inspect(path: string, opts: ReadModelOptions = {}): Promise<ModelSummary> {
  return summarizeModel(await readModel(path, opts));
}

export interface ValidateApiOptions extends ReadModelOptions {
  target?: string;
}

export async function validate(path: string, opts: ValidateApiOptions = {}): Promise<ValidationReport> {
  const target = opts.target ? await loadTarget(opts.target) : undefined;
  const model = await readModel(path, opts);
  return validateModelProto(model.proto, model.source, { target });
}
