/**
 * The model service inside a Lambda function: one onnxruntime session in this thread, no worker pool,
 * no batcher, no cache. Lambda sends one invocation at a time to an instance, so those would only add
 * start-up time. It implements the server's ModelService so the server's router (routes, request
 * parsing, validation, error bodies) answers exactly as `mlpack serve` does.
 */
import type ort from "onnxruntime-node";
import { computeError } from "../../../serve/errors.js";
import { createServeMetrics } from "../../../serve/metrics.js";
import type { ModelInfo } from "../../../serve/model-info.js";
import { modelRegistry } from "../../../serve/model-registry.js";
import { fromOrtTensor, toOrtFeeds } from "../../../serve/ort-tensors.js";
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

  const { resolveModel, modelMetadata } = modelRegistry([model]);

  return {
    models: [model],
    metrics,
    get inflight() {
      return inflight;
    },
    isLive: () => !closed,
    isReady: () => !closed,
    readiness: () =>
      closed ? { state: "draining", reason: "the function is shutting down" } : { state: "ready" },
    serverMetadata: () => ({
      name: "mlpack",
      version: opts.serverVersion,
      extensions: ["binary_tensor_data"],
    }),
    resolveModel,
    modelMetadata,
    async infer(name, version, request) {
      const m = resolveModel(name, version);
      const v = validateRequest(m, request.inputs, request.outputs);
      inflight++;
      try {
        const feeds = toOrtFeeds(Tensor, v.inputs);
        const t0 = performance.now();
        let result: Record<string, ort.Tensor>;
        try {
          result = await session.run(feeds, v.outputs);
        } catch (e) {
          throw computeError(m.name, String((e as Error)?.message ?? e).split("\n")[0]);
        }
        metrics.computeSeconds.observe(
          { model: m.name, version: m.version },
          (performance.now() - t0) / 1000,
        );
        const outputs: NamedTensor[] = v.outputs.map((n) => ({ name: n, ...fromOrtTensor(n, result[n]) }));
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
      return { stuck: 0 };
    },
  };
}
