/** The serving library: what `mlpack serve`, the Docker image and the Lambda handler build on. */
export { serve, type ServeHandle } from "./serve.js";
export {
  createModelService,
  availableCores,
  type ModelService,
  type ModelServiceOptions,
  type ModelServiceDeps,
  type ModelMetadata,
  type ServerMetadata,
} from "./service.js";
export {
  createHttpServer,
  type HttpServer,
  type HttpServerOptions,
  type ShutdownResult,
} from "./http-server.js";
export { handleRequest, type RouterRequest, type RouterResponse } from "./router.js";
export {
  parseInferRequest,
  encodeInferResponse,
  parsePredictRequest,
  predictInputsToTensors,
  encodePredictResponse,
  encodeError,
  type InferRequest,
  type InferResponse,
  type NamedTensor,
  type RequestedOutput,
  type EncodedBody,
} from "./protocol.js";
export { OIP_DATATYPES, type OipDatatype, type Tensor, type TensorValues } from "./datatypes.js";
export {
  SERVE_OPTIONS,
  SERVE_DEFAULTS,
  resolveServeOptions,
  parseModelSpec,
  parseBytes,
  type ServeOptions,
  type ModelSpec,
  type OptionSpec,
  type OptionSource,
  type RawServeOptions,
} from "./options.js";
export { readServeConfigFile, configToRawOptions } from "./config-file.js";
export { ServeError } from "./errors.js";
export type { ModelInfo, TensorSpec } from "./model-info.js";
export {
  createServeLogger,
  LOG_LEVELS,
  LOG_FORMATS,
  type ServeLogger,
  type AccessLogEntry,
  type LogLevel,
  type LogFormat,
} from "./serve-log.js";
