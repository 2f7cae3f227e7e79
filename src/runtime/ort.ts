/** onnxruntime-node at the edge: sessions, host tensors <-> ort.Tensor, runs over sample sets. */
import ort from "onnxruntime-node";
import { DT, ORT_TYPE_NAMES, dtypeName } from "../onnx/dtypes.js";
import type { NumericArray } from "../onnx/tensor.js";
import { UserError } from "../errors.js";

export interface HostTensor {
  dtype: number;
  dims: number[];
  data: NumericArray | string[];
}

export type Sample = Map<string, HostTensor>;

const ORT_TYPES = ORT_TYPE_NAMES;
const FROM_ORT = new Map(Object.entries(ORT_TYPES).map(([k, v]) => [v, Number(k)]));

export const ORT_VERSION: string =
  (ort.env as { versions?: { common?: string } }).versions?.common ?? "unknown";

export function toOrtTensor(t: HostTensor): ort.Tensor {
  const type = ORT_TYPES[t.dtype];
  if (!type) throw new UserError(`onnxruntime-node cannot take ${dtypeName(t.dtype)} tensors as inputs`);
  return new ort.Tensor(type as "float32", t.data as Float32Array, t.dims);
}

export function fromOrtTensor(t: ort.Tensor): HostTensor {
  return { dtype: FROM_ORT.get(t.type) ?? DT.FLOAT, dims: [...t.dims], data: t.data as NumericArray };
}

export interface SessionOptions {
  intraOpThreads?: number;
  interOpThreads?: number;
  optimization?: "disabled" | "basic" | "extended" | "all";
}

export async function openSession(
  model: string | Uint8Array,
  opts: SessionOptions = {},
): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: opts.optimization ?? "all",
    logSeverityLevel: 3,
    ...(opts.intraOpThreads ? { intraOpNumThreads: opts.intraOpThreads } : {}),
    ...(opts.interOpThreads ? { interOpNumThreads: opts.interOpThreads } : {}),
  };
  try {
    return typeof model === "string"
      ? await ort.InferenceSession.create(model, options)
      : await ort.InferenceSession.create(model, options);
  } catch (e) {
    throw new UserError(
      `onnxruntime could not load the model: ${String((e as Error).message ?? e).split("\n")[0]}`,
      {
        hint: "run `mlpack validate --target ort-cpu` on it to see which node is the problem",
      },
    );
  }
}

export async function runSample(
  session: ort.InferenceSession,
  sample: Sample,
  outputs?: string[],
): Promise<Map<string, HostTensor>> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of session.inputNames) {
    const t = sample.get(name);
    if (!t)
      throw new UserError(`no data for model input "${name}"`, { hint: `provide "${name}" in every sample` });
    feeds[name] = toOrtTensor(t);
  }
  let result: ort.InferenceSession.OnnxValueMapType;
  try {
    result = outputs ? await session.run(feeds, outputs) : await session.run(feeds);
  } catch (e) {
    throw new UserError(`inference failed: ${String((e as Error).message ?? e).split("\n")[0]}`, {
      hint: "check the sample's shapes and dtypes against `mlpack inspect`",
    });
  }
  const out = new Map<string, HostTensor>();
  for (const [k, v] of Object.entries(result)) out.set(k, fromOrtTensor(v as ort.Tensor));
  return out;
}
