/** OIP tensors ⇄ onnxruntime tensors, for the worker threads and the in-process (Lambda) service. */
import type ort from "onnxruntime-node";
import { datatypeFromOrt, datatypeInfo, type Tensor } from "./datatypes.js";
import { ServeError } from "./errors.js";

export type OrtTensorCtor = typeof ort.Tensor;

export function toOrtFeeds(
  TensorCtor: OrtTensorCtor,
  inputs: Record<string, Tensor>,
): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(inputs))
    feeds[name] = new TensorCtor(datatypeInfo(t.datatype).ort as "float32", t.data as Float32Array, t.shape);
  return feeds;
}

/** One onnxruntime output as an OIP tensor (its data is not copied). */
export function fromOrtTensor(name: string, t: ort.Tensor | undefined): Tensor {
  if (!t) throw new ServeError(500, `onnxruntime returned no output "${name}"`);
  const datatype = datatypeFromOrt(t.type);
  if (!datatype)
    throw new ServeError(500, `output "${name}" has onnxruntime type ${t.type}, which OIP cannot carry`);
  return { datatype, shape: [...t.dims], data: t.data as Tensor["data"] };
}
