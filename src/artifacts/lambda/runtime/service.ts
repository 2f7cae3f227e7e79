/**
 * The model service inside a Lambda function: one onnxruntime session in this thread, no worker pool,
 * no batcher, no cache. Lambda sends one invocation at a time to an instance, so those would only add
 * start-up time. It implements the server's ModelService so the server's router (routes, request
 * parsing, validation, error bodies) answers exactly as `mlpack serve` does.
 */
import type ort from "onnxruntime-node";
import { notFound, ServeError } from "../../../serve/errors.js";
import { datatypeFromOrt, datatypeInfo, type Tensor } from "../../../serve/datatypes.js";
import { createServeMetrics } from "../../../serve/metrics.js";
import { oipShape, type ModelInfo, type TensorSpec } from "../../../serve/model-info.js";
import type { NamedTensor } from "../../../serve/protocol.js";
import type { ModelService } from "../../../serve/service.js";
import { validateRequest } from "../../../serve/validate-request.js";

/** What the service needs from onnxruntime-node: the session and the Tensor constructor. */
export interface SessionLike {
  run(feeds: Record<string, ort.Tensor>, fetches?: readonly string[]): Promise<Record<string, ort.Tensor>>;
  release?(): Promise<void>;
}
export type TensorCtor = typeof ort.Tensor;

export interface InProcessServiceOptions {
  session: SessionLike;
  Tensor: TensorCtor;
  model: ModelInfo;
  /** mlpack's version, reported by GET /v2. */
  serverVersion: string;
}

export function createInProcessService(opts: InProcessServiceOptions): ModelService {
  const { session, Tensor, model } = opts;
  const metrics = createServeMetrics();
  let inflight = 0;
  let closed = false;

  const resolveModel = (name: string, version?: string): ModelInfo => {
    if (name !== model.name) throw notFound(`unknown model "${name}" (serving "${model.name}")`);
    if (version !== undefined && version !== model.version)
      throw notFound(`model "${name}" has no version "${version}" (versions: ${model.version})`);
    return model;
  };
  const specJson = (t: TensorSpec) => ({ name: t.name, datatype: t.datatype, shape: oipShape(t.shape) });

  return {
    models: [model],
    metrics,
    get inflight() {
      return inflight;
    },
    isLive: () => !closed,
    isReady: () => !closed,
    serverMetadata: () => ({
      name: "mlpack",
      version: opts.serverVersion,
      extensions: ["binary_tensor_data"],
    }),
    resolveModel,
    modelMetadata(name, version) {
      const m = resolveModel(name, version);
      return {
        name: m.name,
        versions: [m.version],
        platform: "onnxruntime_onnx",
        inputs: m.inputs.map(specJson),
        outputs: m.outputs.map(specJson),
      };
    },
    async infer(name, version, request) {
      const m = resolveModel(name, version);
      const v = validateRequest(m, request.inputs, request.outputs);
      inflight++;
      try {
        const feeds: Record<string, ort.Tensor> = {};
        for (const [k, t] of Object.entries(v.inputs))
          feeds[k] = new Tensor(datatypeInfo(t.datatype).ort as "float32", t.data as Float32Array, t.shape);
        const t0 = performance.now();
        const result = await session.run(feeds, v.outputs);
        metrics.computeSeconds.observe(
          { model: m.name, version: m.version },
          (performance.now() - t0) / 1000,
        );
        const outputs: NamedTensor[] = v.outputs.map((n) => {
          const t = result[n];
          if (!t) throw new ServeError(500, `onnxruntime returned no output "${n}"`);
          const datatype = datatypeFromOrt(t.type);
          if (!datatype)
            throw new ServeError(500, `output "${n}" has onnxruntime type ${t.type}, which OIP cannot carry`);
          return { name: n, datatype, shape: [...t.dims], data: t.data as Tensor["data"] };
        });
        return {
          modelName: m.name,
          modelVersion: m.version,
          ...(request.id !== undefined ? { id: request.id } : {}),
          outputs,
        };
      } finally {
        inflight--;
      }
    },
    drain() {},
    async close() {
      closed = true;
      await session.release?.();
    },
  };
}
