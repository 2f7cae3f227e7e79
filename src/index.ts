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
export {
  serve,
  createModelService,
  createHttpServer,
  handleRequest,
  resolveServeOptions,
  type ServeHandle,
  type ServeOptions,
  type ModelService,
} from "./serve/index.js";
export { bench, type BenchApiOptions } from "./bench/bench.js";
export type { BenchOptions, BenchOutcome, BenchReport, Measurement } from "./bench/types.js";
export type { Comparison, ComparisonEntry, Verdict } from "./bench/gate.js";
export { readBaseline, parseBaseline, writeBaseline } from "./bench/baseline.js";
export {
  renderText as renderBenchText,
  renderMarkdown as renderBenchMarkdown,
} from "./bench/report/index.js";
export * from "./errors.js";
export {
  buildImage,
  pushImage,
  type BuildImageOptions,
  type BuildImageResult,
  type PushOptions,
  type PushReport,
  type PlatformImage,
  type LayerReport,
} from "./artifacts/oci/index.js";
export { build, MANIFEST_NAME, type BuildResult } from "./build/build.js";
export type { BuildOptions, BuildManifest, ArtifactRecord } from "./build/types.js";
export type { BuildEvent } from "./build/events.js";
export {
  buildLambdaZip,
  type BuildLambdaZipOptions,
  type LambdaZipResult,
} from "./artifacts/lambda/build.js";
export { convertToTfjs, type ConvertReport, type ConvertToTfjsOptions } from "./convert/tfjs/convert.js";
export { quantize, type QuantizeOptions, type QuantizeReport } from "./passes/quantize/quantize.js";
export { TfjsConversionError } from "./convert/tfjs/convert.js";
export { buildTfjsBundle, type TfjsBundleOptions, type TfjsBundleReport } from "./artifacts/tfjs/index.js";
export * from "./compose/index.js";
export {
  makeInferenceGraph,
  inferenceGraphYaml,
  validateInferenceGraph,
  type InferenceGraphOptions,
} from "./artifacts/kubernetes/inference-graph.js";
