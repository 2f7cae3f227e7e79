/** Initializers -> ConstData, reading external data through the loaded model when there is one. */
import type { TensorProto } from "../../onnx/proto.js";
import { tensorDims, tensorRawBytes, tensorToArray } from "../../onnx/tensor.js";
import { DT } from "../../onnx/dtypes.js";
import type { LoadedModel } from "../../onnx/read.js";
import { constFromTensor } from "./values.js";
import type { ConstData } from "./types.js";

export type TensorSource = Pick<LoadedModel, "external"> | undefined;

/** Float32 tensors at least this big decode lazily (see ConstData.raw); smaller ones right away. */
const LAZY_BYTES = 1 << 16;

export function readTensorOf(source: TensorSource, t: TensorProto): ConstData {
  const ext = source?.external;
  const reader = ext && ((x: TensorProto) => ext.read(x));
  if (t.dataType === DT.FLOAT && (t.rawData.length >= LAZY_BYTES || (reader && t.dataLocation === 1))) {
    const raw = tensorRawBytes(t, reader);
    if (raw.byteLength >= LAZY_BYTES) return lazyFloat32(tensorDims(t), raw);
  }
  return constFromTensor(tensorToArray(t, reader));
}

function lazyFloat32(dims: number[], raw: Uint8Array): ConstData {
  let data: Float32Array | undefined;
  return {
    dims,
    raw,
    get data(): Float32Array {
      data ??=
        raw.byteOffset % 4 === 0
          ? new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4)
          : new Float32Array(new Uint8Array(raw).buffer);
      return data;
    },
  };
}
