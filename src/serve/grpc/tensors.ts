/**
 * gRPC ModelInferRequest / ModelInferResponse (grpc_predict_v2.proto, as @grpc/proto-loader decodes
 * them: snake_case keys, int64 as decimal strings, bytes as Buffers) ⇄ the transport-neutral
 * InferRequest / InferResponse of protocol.ts. Values are checked as strictly as the JSON path
 * (decodeJsonValues, decodeBinaryValues), so a bad request is INVALID_ARGUMENT, never a crash.
 */
import { badRequest } from "../errors.js";
import { datatypeInfo, elementCount, type OipDatatype } from "../datatypes.js";
import type { Tensor } from "../datatypes.js";
import { preview } from "../json-limits.js";
import { decodeBinaryValues, encodeBinaryValues } from "../binary.js";
import { decodeJsonValues } from "../values.js";
import { checkInputHeader, type InferRequest, type InferResponse, type NamedTensor } from "../protocol.js";

type Long = string | number;

export interface InferParameter {
  bool_param?: boolean;
  int64_param?: Long;
  string_param?: string;
}

/** InferTensorContents: one repeated field per element kind. */
export interface TensorContents {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: Long[];
  uint_contents?: number[];
  uint64_contents?: Long[];
  fp32_contents?: number[];
  fp64_contents?: number[];
  bytes_contents?: Uint8Array[];
}

export interface GrpcTensor {
  name?: string;
  datatype?: string;
  shape?: Long[];
  parameters?: Record<string, InferParameter>;
  contents?: TensorContents | null;
}

export interface ModelInferRequest {
  model_name?: string;
  model_version?: string;
  id?: string;
  parameters?: Record<string, InferParameter>;
  inputs?: GrpcTensor[];
  outputs?: { name?: string; parameters?: Record<string, InferParameter> }[];
  raw_input_contents?: Uint8Array[];
}

export interface ModelInferResponse {
  model_name: string;
  model_version: string;
  id: string;
  outputs: GrpcTensor[];
  raw_output_contents: Uint8Array[];
}

/** Which contents field carries each datatype (FP16 has none: raw_input_contents only, as in Triton). */
const FIELD: Record<OipDatatype, keyof TensorContents | undefined> = {
  BOOL: "bool_contents",
  UINT8: "uint_contents",
  UINT16: "uint_contents",
  UINT32: "uint_contents",
  UINT64: "uint64_contents",
  INT8: "int_contents",
  INT16: "int_contents",
  INT32: "int_contents",
  INT64: "int64_contents",
  FP16: undefined,
  FP32: "fp32_contents",
  FP64: "fp64_contents",
  BYTES: "bytes_contents",
};

const MAX_RANK = 32;
const utf8 = new TextDecoder("utf-8", { fatal: false });

/** Decodes and checks a ModelInferRequest's tensors; the model name and version are the caller's. */
export function fromGrpcRequest(req: ModelInferRequest): InferRequest & { raw: boolean } {
  const inputs = req.inputs ?? [];
  if (inputs.length === 0) throw badRequest(`the request needs at least one input tensor in "inputs"`);
  const raw = req.raw_input_contents ?? [];
  const useRaw = raw.length > 0;
  if (useRaw && raw.length !== inputs.length)
    throw badRequest(
      `raw_input_contents has ${raw.length} entries for ${inputs.length} inputs; give one per input, in order`,
    );
  const seen = new Set<string>();
  const tensors = inputs.map((t, i): NamedTensor => {
    const name = t.name ?? "";
    if (name === "") throw badRequest(`inputs[${i}] needs a name`);
    const datatype = checkInputHeader(seen, i, name, t.datatype ?? "");
    const shape = parseShape(t.shape ?? [], name);
    const count = elementCount(shape);
    const set = setFields(t.contents);
    if (useRaw) {
      if (set.length > 0)
        throw badRequest(
          `input "${name}" has ${set[0]} and the request has raw_input_contents; use one or the other for all inputs`,
        );
      return { name, datatype, shape, data: decodeBinaryValues(datatype, raw[i], count, name) };
    }
    const field = FIELD[datatype];
    if (!field)
      throw badRequest(
        `input "${name}": ${datatype} has no typed contents field; send it in raw_input_contents`,
      );
    const wrong = set.find((f) => f !== `contents.${field}`);
    if (wrong) throw badRequest(`input "${name}": ${datatype} values go in contents.${field}, not ${wrong}`);
    const values = (t.contents?.[field] ?? []) as unknown[];
    if (values.length !== count)
      throw badRequest(
        `input "${name}": shape [${shape.join(",")}] needs ${count} values but contents.${field} has ${values.length}`,
      );
    const flat = datatype === "BYTES" ? (values as Uint8Array[]).map((b) => utf8.decode(b)) : values;
    return { name, datatype, shape, data: decodeJsonValues(datatype, flat, name, true) };
  });
  const outputs = (req.outputs ?? []).map((o, i) => {
    if (!o.name) throw badRequest(`outputs[${i}] needs a name`);
    return { name: o.name, binary: useRaw };
  });
  return {
    ...(req.id ? { id: req.id } : {}),
    inputs: tensors,
    ...(outputs.length > 0 ? { outputs } : {}),
    binaryOutput: useRaw,
    raw: useRaw,
  };
}

/**
 * The response message. Outputs go in raw_output_contents when the request sent raw inputs (what
 * Triton's clients expect back), else in typed contents; FP16 is always raw (it has no typed field).
 */
export function toGrpcResponse(resp: InferResponse, raw: boolean): ModelInferResponse {
  const useRaw = raw || resp.outputs.some((o) => o.datatype === "FP16");
  return {
    model_name: resp.modelName,
    model_version: resp.modelVersion,
    id: resp.id ?? "",
    outputs: resp.outputs.map((o) => ({
      name: o.name,
      datatype: o.datatype,
      shape: o.shape,
      ...(useRaw ? {} : { contents: typedContents(o) }),
    })),
    raw_output_contents: useRaw ? resp.outputs.map((o) => rawBytes(o)) : [],
  };
}

/** The tensor's bytes as a Buffer view (no copy for numeric tensors). */
function rawBytes(t: Tensor): Buffer {
  const b = encodeBinaryValues(t);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function typedContents(t: NamedTensor): TensorContents {
  const field = FIELD[t.datatype]!;
  const d = t.data;
  switch (datatypeInfo(t.datatype).kind) {
    case "string":
      return { bytes_contents: (d as string[]).map((s) => Buffer.from(s, "utf8")) };
    case "bool":
      return { bool_contents: Array.from(d as Uint8Array, (v) => v !== 0) };
    case "bigint":
      // Decimal strings: protobufjs writes them as exact 64-bit integers.
      return { [field]: Array.from(d as BigInt64Array, (v) => v.toString()) };
    default:
      return { [field]: Array.from(d as Float32Array) };
  }
}

function setFields(c: TensorContents | null | undefined): string[] {
  if (!c) return [];
  return Object.entries(c)
    .filter(([, v]) => Array.isArray(v) && v.length > 0)
    .map(([k]) => `contents.${k}`);
}

function parseShape(dims: Long[], name: string): number[] {
  if (dims.length > MAX_RANK)
    throw badRequest(`input "${name}": rank ${dims.length} is over the limit of ${MAX_RANK}`);
  return dims.map((d, i) => {
    const n = Number(d);
    if (!Number.isSafeInteger(n) || n < 0)
      throw badRequest(
        `input "${name}": shape must hold non-negative integers, not ${preview(String(d))} (dim ${i})`,
      );
    return n;
  });
}
