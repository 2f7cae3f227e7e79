/** mlpack's library API. The CLI is a thin layer over these functions. */
export {
  readModel,
  readModelFromBytes,
  readTensor,
  readTensorBytes,
  type LoadedModel,
  type ReadModelOptions,
} from "./onnx/read.js";
export { writeModel, type WriteModelOptions, type WriteResult } from "./onnx/write.js";
export { tensorToArray, arrayToTensor, type DecodedTensor, type TensorData } from "./onnx/tensor.js";
export { DT, dtypeInfo, dtypeName } from "./onnx/dtypes.js";
export { Model, Graph, Node, modelFromProto, modelToProto } from "./ir/graph.js";
export { topoSort, producers, consumers, allGraphs } from "./ir/walk.js";
export { summarizeModel, type ModelSummary } from "./inspect/summary.js";
export { inspect, validate } from "./api.js";
export type { ValidationReport } from "./passes/validate.js";
export type { Diagnostic } from "./diagnostics.js";
export * from "./errors.js";
