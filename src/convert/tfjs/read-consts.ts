/** Initializers -> ConstData, reading external data through the loaded model when there is one. */
import type { TensorProto } from "../../onnx/proto.js";
import { tensorToArray } from "../../onnx/tensor.js";
import type { LoadedModel } from "../../onnx/read.js";
import { constFromTensor } from "./values.js";
import type { ConstData } from "./types.js";

export type TensorSource = Pick<LoadedModel, "external"> | undefined;

export function readTensorOf(source: TensorSource, t: TensorProto): ConstData {
  const ext = source?.external;
  return constFromTensor(tensorToArray(t, ext && ((x) => ext.read(x))));
}
