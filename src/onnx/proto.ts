/**
 * The ONNX protobuf schema (onnx.proto of ONNX 1.20, compiled by protoc-gen-es in the onnx-buf package)
 * and the @bufbuild/protobuf codec. Unknown fields are kept so unchanged models re-encode byte-exactly.
 */
import { create, fromBinary, toBinary, clone } from "@bufbuild/protobuf";
import {
  ModelProtoSchema,
  TensorProtoSchema,
  GraphProtoSchema,
  NodeProtoSchema,
  AttributeProtoSchema,
  ValueInfoProtoSchema,
  TypeProtoSchema,
  StringStringEntryProtoSchema,
  OperatorSetIdProtoSchema,
  TensorShapeProtoSchema,
  FunctionProtoSchema,
  TensorProto_DataLocation,
  AttributeProto_AttributeType,
} from "onnx-buf";
import { fastDecodeModel } from "./fast-decode.js";
import type {
  ModelProto,
  TensorProto,
  GraphProto,
  NodeProto,
  AttributeProto,
  ValueInfoProto,
  TypeProto,
  StringStringEntryProto,
  OperatorSetIdProto,
  TensorShapeProto,
  SparseTensorProto,
  FunctionProto,
} from "onnx-buf";

export type {
  ModelProto,
  TensorProto,
  GraphProto,
  NodeProto,
  AttributeProto,
  ValueInfoProto,
  TypeProto,
  StringStringEntryProto,
  OperatorSetIdProto,
  TensorShapeProto,
  SparseTensorProto,
  FunctionProto,
};
export {
  ModelProtoSchema,
  TensorProtoSchema,
  GraphProtoSchema,
  NodeProtoSchema,
  AttributeProtoSchema,
  ValueInfoProtoSchema,
  TypeProtoSchema,
  StringStringEntryProtoSchema,
  OperatorSetIdProtoSchema,
  TensorShapeProtoSchema,
  FunctionProtoSchema,
  TensorProto_DataLocation as DataLocation,
  AttributeProto_AttributeType as AttributeType,
  create,
  clone,
};

export function decodeModelProto(bytes: Uint8Array): ModelProto {
  // The lean reader gives the same result, or gives up and leaves it (and its errors) to fromBinary.
  return fastDecodeModel(bytes) ?? fromBinary(ModelProtoSchema, bytes);
}

export function encodeModelProto(model: ModelProto): Uint8Array {
  return toBinary(ModelProtoSchema, model);
}

export function decodeTensorProto(bytes: Uint8Array): TensorProto {
  return fromBinary(TensorProtoSchema, bytes);
}

export function encodeTensorProto(t: TensorProto): Uint8Array {
  return toBinary(TensorProtoSchema, t);
}
