/**
 * The mlpack.yaml / mlpack.json configuration. schema/mlpack.schema.json is generated from these
 * types (npm run gen:config-schema); editors that read `$schema` get completion and checking.
 * Paths are relative to the config file.
 */

/** The whole configuration file. */
export interface MlpackConfig {
  /** Link to the JSON Schema, for editors. */
  $schema?: string;
  /** The float ONNX model to package. */
  model: string;
  /** Model name used in the server's URLs, image labels and artifact names. Default: the file name without .onnx. */
  name?: string;
  /** Model version string. Default: "1". */
  version?: string;
  /** Where artifacts and dist/mlpack-manifest.json go. Default: "dist". */
  output?: string;
  /** Quantize before packaging (omit or false to ship the float model). */
  quantize?: QuantizeConfig | false;
  /** Benchmark gate (omit or false to skip). */
  bench?: BenchConfig | false;
  /** Artifacts to emit. At least one target. */
  targets: TargetsConfig;
  /** Defaults for the model server inside the Docker image and the Lambda handler. */
  server?: ServerConfig;
  /** Compose `model` with more models and pre/post-processing stages before the build (mlpack compose). */
  pipeline?: PipelineConfig;
}

export interface PipelineConfig {
  /** Models that follow `model`, in pipeline order. Each is named by its file name without .onnx. */
  models?: string[];
  /** Connections "FROM.OUTPUT=TO.INPUT", e.g. "detector.boxes=classifier.input". */
  connect?: string[];
  /** Pre-processing stages before `model`, e.g. "image:224x224:resize=256x256:mean=0.485,0.456,0.406:std=0.229,0.224,0.225". */
  pre?: string[];
  /** Post-processing stages after the last model, chained in order: softmax, argmax[:labels.txt], topk:K[:labels.txt], threshold:T. */
  post?: string[];
  /** true: keep every unconnected output; a list of "MODEL.OUTPUT": keep those as well. */
  keepOutputs?: boolean | string[];
  /** Outputs ("MODEL.OUTPUT") removed from the pipeline's outputs. */
  dropOutputs?: string[];
}

export interface QuantizeConfig {
  /** dynamic (default), static (needs calibration) or weights-only. */
  mode?: "dynamic" | "static" | "weights-only";
  /** Calibration samples for static mode: a directory, a file, or "random:N". */
  calibration?: string;
  /** Calibration range method. Default: minmax. */
  method?: "minmax" | "percentile" | "entropy";
  /** Samples for the accuracy report. Default: the calibration set, else random:8. */
  eval?: string;
  /** One scale per output channel. */
  perChannel?: boolean;
  /** 7-bit weights for CPUs without VNNI. */
  reduceRange?: boolean;
  /** int8 symmetric activations in static mode. */
  symmetricActivations?: boolean;
  /** Node names or op types to keep in float. */
  exclude?: string[];
  /** Only quantize these node names or op types. */
  include?: string[];
  /** Concrete shapes for inputs with symbolic dims, e.g. ["input=1,3,224,224"]. */
  shapes?: string[];
  /**
   * Largest accepted accuracy drop (max over outputs of 1 - cosine, and 1 - top-1 agreement for
   * classifier outputs). Over it the build fails with exit code 3.
   * @minimum 0
   */
  maxAccuracyDrop?: number;
  /** Keep the most sensitive layers in float until maxAccuracyDrop is met. */
  autoExclude?: boolean;
}

export interface BenchConfig {
  /** Baseline to compare against: a saved baseline JSON, or another model. */
  baseline?: string;
  /**
   * Relative slowdown that counts as a regression. Default 0.10.
   * @minimum 0
   */
  threshold?: number;
  /** Batch sizes to measure. Default [1]. */
  batch?: number[];
  /** Concurrent workers to measure. Default [1]. */
  concurrency?: number[];
  /** Samples per configuration (otherwise the benchmark's default). */
  iterations?: number;
  /**
   * Sampling time per model and configuration instead of iterations, e.g. "2s" (default) or "500ms".
   * @pattern ^\d+(\.\d+)?(ms|s)?$
   */
  duration?: string;
  /**
   * Warm-up: "auto" (until three windows agree within 10%, the default), a call count "50", or a time "1s".
   * @pattern ^(auto|\d+|\d+(\.\d+)?(ms|s))$
   */
  warmup?: string;
  /** Metrics whose verdicts decide the gate. Default ["median"]. */
  gate?: ("median" | "p95" | "throughput")[];
  /**
   * onnxruntime intra-op threads per session (default: onnxruntime's).
   * @minimum 1
   */
  intraOpThreads?: number;
  /**
   * onnxruntime inter-op threads per session.
   * @minimum 1
   */
  interOpThreads?: number;
  /** Fail on inconclusive verdicts, not only on regressions. */
  failOnInconclusive?: boolean;
  /** Enforce the gate even when the baseline came from different hardware. */
  strict?: boolean;
  /** Concrete shapes for inputs with symbolic dims. */
  shapes?: string[];
}

export interface TargetsConfig {
  /** A container image running the model server. */
  docker?: DockerTargetConfig;
  /** An AWS Lambda deployment zip. */
  lambda?: LambdaTargetConfig;
  /** A TensorFlow.js graph-model bundle for browsers. */
  tfjs?: TfjsTargetConfig;
}

export interface DockerTargetConfig {
  /** Base image: a registry reference, an OCI layout directory or a docker-archive tarball. */
  base?: string;
  /** Image reference to tag (and push), e.g. registry.example.com/team/model:1. */
  tag?: string;
  /** Platforms to build. Default ["linux/amd64"]. */
  platforms?: ("linux/amd64" | "linux/arm64")[];
  /** Push to the registry in `tag`. */
  push?: boolean;
  /** Allow plain-http registries. */
  insecure?: boolean;
  /** Build FROM scratch with the node binary and its shared libraries. */
  fromScratch?: boolean;
  /** Output form. Default: oci (an OCI image layout directory). */
  format?: "oci" | "oci-archive" | "docker-archive";
}

export interface LambdaTargetConfig {
  /** CPU architecture. Default x86_64. */
  arch?: "x86_64" | "arm64";
  /**
   * Function memory in MB (sets intra-op threads). Default 1024.
   * @minimum 128
   * @maximum 10240
   */
  memory?: number;
  /** Lambda runtime. Default nodejs20.x. */
  runtime?: "nodejs20.x" | "nodejs22.x" | "provided.al2023";
}

export interface TfjsTargetConfig {
  /** Weight compression in the manifest. */
  quantize?: "uint8" | "uint16" | "float16";
  /** Keep NCHW (for models whose inputs are not images). */
  keepLayout?: boolean;
}

export interface ServerConfig {
  /**
   * Worker threads, one onnxruntime session each.
   * @minimum 1
   */
  workers?: number;
  /**
   * Intra-op threads per session.
   * @minimum 1
   */
  intraOpThreads?: number;
  /**
   * Largest dynamic batch (1 disables batching).
   * @minimum 1
   */
  maxBatchSize?: number;
  /**
   * How long a request may wait for a batch to fill, in ms.
   * @minimum 0
   */
  maxQueueDelayMs?: number;
  /**
   * Response cache entries (0 disables the cache).
   * @minimum 0
   */
  cacheSize?: number;
  /**
   * Port the server listens on. Default 8080.
   * @minimum 0
   * @maximum 65535
   */
  port?: number;
  /**
   * Requests waiting per model before new ones get 503 (back-pressure). Default 512.
   * @minimum 1
   */
  maxQueue?: number;
  /**
   * Largest request body, e.g. "512kb" or "16mb" (default); larger ones get 413.
   * @pattern ^\d+(\.\d+)?\s*([bB]|[kKmMgG]([bB]|i[bB])?)?$
   */
  maxBody?: string;
  /**
   * On SIGTERM, how long to wait for in-flight requests before giving up, in ms. Default 30000.
   * @minimum 0
   */
  shutdownTimeoutMs?: number;
}
