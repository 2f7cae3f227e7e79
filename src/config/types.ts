/**
 * The mlpack.yaml / mlpack.json configuration. schema/mlpack.schema.json is generated from these
 * types (npm run gen:config-schema); editors that read `$schema` get completion and checking.
 * Paths are relative to the config file.
 */
import type { TargetsConfig } from "../build/targets/registry.js";
import type { ServerConfig } from "../serve/option-schema.js";
import type { SampleOptions } from "../data/sample-options.js";

// Each target's section is declared in the target's own folder (src/build/targets/<name>/config.ts).
export type { TargetsConfig };

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
  /**
   * Defaults for the model server inside the Docker image and the Lambda handler. Its schema is
   * spliced in by scripts/gen-config-schema.ts from the serve option table.
   * @hidden
   */
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
  /**
   * 7-bit weights (default true in dynamic and static modes): onnxruntime's int8 kernels on x86 CPUs without VNNI sum pairs of
   * products in 16 bits, which saturate with full 8-bit weights. false only when every CPU that
   * runs the model has VNNI (AVX512-VNNI, AVX-VNNI) or is ARM.
   */
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
  /**
   * When the build's benchmark shows the int8 model slower than the float one, the least size saving
   * (1 - int8 size / float size) that still ships int8 to docker and lambda; below it they get the
   * float model (the manifest's `ship` says why). Default 0.5.
   * @minimum 0
   * @maximum 1
   */
  minSizeGain?: number;
  /** Ship int8 or fail: a slower int8 model under minSizeGain fails the build (exit 3) instead of shipping float. */
  require?: boolean;
  /**
   * Let maxAccuracyDrop gate on inputs that are not evidence (random, or the float model's outputs
   * degenerate on them). Default false: such a gate fails with exit 3.
   */
  allowRandomGate?: boolean;
  /** How image (.png/.jpg) and audio (.wav) sample files become input tensors. */
  samples?: SampleOptions;
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

/**
 * The `server:` section: the options of `mlpack serve`, declared once in src/serve/options.ts; its
 * JSON Schema and checks are derived there too (src/serve/option-schema.ts).
 */
export type { ServerConfig };
