/**
 * Open Inference Protocol v2 (KServe / Triton) request and response bodies: JSON, the binary tensor
 * data extension, and the simple /predict format. Pure: bytes in, typed tensors out, and back. No model
 * knowledge here (shapes against the model are checked in validate-request.ts), so any transport, the
 * node:http server or a Lambda handler, can reuse it.
 */
import { badRequest } from "./errors.js";
import { elementCount, isOipDatatype, OIP_DATATYPES, type OipDatatype, type Tensor } from "./datatypes.js";
import { decodeJsonValues, encodeJsonValues } from "./values.js";
import { MAX_JSON_DEPTH, preview } from "./json-limits.js";
import { decodeBinaryValues, encodeBinaryValues } from "./binary.js";
import { JsonDepthError, JsonSizeError, NestedNumbers, parseJsonBytes } from "./codec/json-scan.js";
import { decodeNumberValues } from "./codec/numbers.js";
import { float32ArrayJsonInto, float32ArrayJsonMaxBytes } from "./codec/f32-text.js";

export interface NamedTensor extends Tensor {
  name: string;
}

export interface RequestedOutput {
  name: string;
  /** Return this output in the binary extension rather than as JSON `data`. */
  binary: boolean;
}

export interface InferRequest {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: NamedTensor[];
  /** Outputs to return (all when absent). */
  outputs?: RequestedOutput[];
  /** The `binary_data_output` request parameter: every output in binary unless it says otherwise. */
  binaryOutput: boolean;
}

export interface InferResponse {
  modelName: string;
  modelVersion: string;
  id?: string;
  outputs: NamedTensor[];
  /** How the request was run, for the access log (not sent). */
  timing?: InferTiming;
}

export interface InferTiming {
  queueMs?: number;
  computeMs?: number;
  batchRows?: number;
  cached?: boolean;
}

export interface EncodedBody {
  contentType: string;
  body: Buffer;
  /** Set when the body carries binary tensor data after the JSON header. */
  inferenceHeaderLength?: number;
}

/** Deepest nesting accepted in `data` (and in /predict values). */
const MAX_RANK = 32;
/**
 * Parses a POST /v2/models/{name}/infer body. `inferenceHeaderLength` is the value of the
 * Inference-Header-Content-Length header: the JSON is that many bytes and binary tensor data follows.
 */
export function parseInferRequest(body: Uint8Array, inferenceHeaderLength?: number): InferRequest {
  let jsonEnd = body.length;
  if (inferenceHeaderLength !== undefined) {
    if (
      !Number.isInteger(inferenceHeaderLength) ||
      inferenceHeaderLength < 0 ||
      inferenceHeaderLength > body.length
    )
      throw badRequest(
        `Inference-Header-Content-Length is ${inferenceHeaderLength} but the body has ${body.length} bytes`,
      );
    jsonEnd = inferenceHeaderLength;
  }
  // The byte scanner: `data` arrays of numbers arrive as Float64Arrays, or Float32Arrays when the
  // tensor's "datatype" "FP32" came first (see codec/json-scan.ts).
  const json = parseJson(body.subarray(0, jsonEnd));
  const obj = expectObject(json, "the request body");
  const binary = body.subarray(jsonEnd);
  let binaryOffset = 0;

  if (!Array.isArray(obj.inputs) || obj.inputs.length === 0)
    throw badRequest(`the request needs an "inputs" array with at least one tensor`);
  const seen = new Set<string>();
  const inputs = obj.inputs.map((raw: unknown, i: number): NamedTensor => {
    const t = expectObject(raw, `inputs[${i}]`);
    const name = t.name;
    if (typeof name !== "string" || name === "") throw badRequest(`inputs[${i}] needs a "name" string`);
    const datatype = checkInputHeader(seen, i, name, t.datatype);
    const shape = parseShape(t.shape, name);
    const count = elementCount(shape);
    const params = t.parameters === undefined ? {} : expectObject(t.parameters, `input "${name}" parameters`);
    const binarySize = params.binary_data_size;
    if (binarySize !== undefined) {
      if (!Number.isInteger(binarySize) || (binarySize as number) < 0)
        throw badRequest(`input "${name}": binary_data_size must be a non-negative integer`);
      if (t.data !== undefined) throw badRequest(`input "${name}" has both "data" and binary_data_size`);
      const size = binarySize as number;
      if (binaryOffset + size > binary.length)
        throw badRequest(
          `input "${name}": binary_data_size ${size} runs past the end of the body (${binary.length - binaryOffset} binary bytes left)`,
        );
      const bytes = binary.subarray(binaryOffset, binaryOffset + size);
      binaryOffset += size;
      return { name, datatype, shape, data: decodeBinaryValues(datatype, bytes, count, name) };
    }
    if (t.data === undefined) throw badRequest(`input "${name}" has no "data" (and no binary_data_size)`);
    const flat = flattenData(t.data, name);
    if (flat.length !== count)
      throw badRequest(
        `input "${name}": shape [${shape.join(",")}] needs ${count} values but "data" has ${flat.length}`,
      );
    const data = isTyped(flat)
      ? decodeNumberValues(datatype, flat, name)
      : decodeJsonValues(datatype, flat, name);
    return { name, datatype, shape, data };
  });
  if (binaryOffset !== binary.length)
    throw badRequest(
      `the body has ${binary.length - binaryOffset} binary bytes that no input claims (binary_data_size)`,
    );

  const reqParams = obj.parameters === undefined ? undefined : expectObject(obj.parameters, "parameters");
  const binaryOutput = reqParams?.binary_data_output === true;
  let outputs: RequestedOutput[] | undefined;
  if (obj.outputs !== undefined) {
    if (!Array.isArray(obj.outputs)) throw badRequest(`"outputs" must be an array of {"name": ...}`);
    outputs = obj.outputs.map((raw: unknown, i: number) => {
      const o = expectObject(raw, `outputs[${i}]`);
      if (typeof o.name !== "string") throw badRequest(`outputs[${i}] needs a "name" string`);
      const p = o.parameters === undefined ? {} : expectObject(o.parameters, `output "${o.name}" parameters`);
      const binary = typeof p.binary_data === "boolean" ? p.binary_data : binaryOutput;
      return { name: o.name, binary };
    });
  }
  let id: string | undefined;
  if (obj.id !== undefined) {
    if (typeof obj.id !== "string") throw badRequest(`"id" must be a string`);
    id = obj.id;
  }
  return {
    ...(id !== undefined ? { id } : {}),
    ...(reqParams ? { parameters: reqParams } : {}),
    inputs,
    outputs,
    binaryOutput,
  };
}

/** Where responses are written before they are copied out at their size; grown as needed, kept up to 4 MiB. */
let scratch = Buffer.allocUnsafe(64 * 1024);
function encodeScratch(size: number): Buffer {
  if (size <= scratch.length) return scratch;
  const b = Buffer.allocUnsafe(size);
  if (size <= 4 << 20) scratch = b;
  return b;
}

/** Encodes an infer response; outputs go in binary when the request asked for it. */
export function encodeInferResponse(
  resp: InferResponse,
  req?: Pick<InferRequest, "outputs" | "binaryOutput">,
): EncodedBody {
  const binaryFor = (name: string) => {
    const o = req?.outputs?.find((x) => x.name === name);
    return o ? o.binary : (req?.binaryOutput ?? false);
  };
  // Text, with FP32 data written as bytes straight into the one buffer (no string per value, no
  // second copy): `parts` alternates text and FP32 arrays.
  const parts: (string | Float32Array)[] = [];
  let text = `{"model_name":${JSON.stringify(resp.modelName)},"model_version":${JSON.stringify(resp.modelVersion)}`;
  if (resp.id !== undefined) text += `,"id":${JSON.stringify(resp.id)}`;
  text += `,"outputs":[`;
  const blobs: Uint8Array[] = [];
  resp.outputs.forEach((o, i) => {
    text += `${i ? "," : ""}{"name":${JSON.stringify(o.name)},"datatype":"${o.datatype}","shape":[${o.shape.join(",")}],`;
    if (binaryFor(o.name)) {
      const blob = encodeBinaryValues(o);
      blobs.push(blob);
      text += `"parameters":{"binary_data_size":${blob.length}}}`;
    } else if (o.data instanceof Float32Array) {
      parts.push(text + `"data":`, o.data);
      text = "}";
    } else {
      text += `"data":${encodeJsonValues(o)}}`;
    }
  });
  parts.push(text + "]}");
  let max = 0;
  for (const p of parts)
    max += typeof p === "string" ? Buffer.byteLength(p, "utf8") : float32ArrayJsonMaxBytes(p.length);
  const out = encodeScratch(max);
  let pos = 0;
  for (const p of parts)
    pos = typeof p === "string" ? pos + out.write(p, pos, "utf8") : float32ArrayJsonInto(out, pos, p);
  // Written where the worst case fits, then kept in a buffer of its own size: a 1,024-value output
  // takes ~9 KB of the 26 KB its worst case needs, and a response waiting to be sent (64 of them
  // under c64 load) held the whole worst case.
  const header = Buffer.allocUnsafe(pos);
  out.copy(header, 0, 0, pos);
  if (blobs.length === 0) return { contentType: "application/json", body: header };
  return {
    contentType: "application/octet-stream",
    body: Buffer.concat([header, ...blobs]),
    inferenceHeaderLength: header.length,
  };
}

/**
 * The checks of an input's name and datatype that REST and gRPC share: a sane length, no name twice
 * (`seen` collects them), a known datatype.
 */
export function checkInputHeader(seen: Set<string>, i: number, name: string, datatype: unknown): OipDatatype {
  if (name.length > 256) throw badRequest(`inputs[${i}]: the name is ${name.length} characters long`);
  if (seen.has(name)) throw badRequest(`input "${name}" is given twice`);
  seen.add(name);
  if (!isOipDatatype(datatype))
    throw badRequest(
      `input "${name}": datatype ${preview(datatype)} is not one of ${OIP_DATATYPES.join(", ")}`,
    );
  return datatype;
}

/** The simple endpoint's body: `{"inputs": {"name": nested array}, "model"?: "...", "version"?: "..."}`. */
export interface PredictRequest {
  model?: string;
  version?: string;
  inputs: Record<string, unknown>;
}

export function parsePredictRequest(body: Uint8Array): PredictRequest {
  const obj = expectObject(parseJson(body, "inputs"), "the request body");
  if (obj.inputs === null || typeof obj.inputs !== "object" || Array.isArray(obj.inputs))
    throw badRequest(`the request needs "inputs": an object mapping each input name to a (nested) array`);
  for (const k of ["model", "version"] as const)
    if (obj[k] !== undefined && typeof obj[k] !== "string") throw badRequest(`"${k}" must be a string`);
  return {
    inputs: obj.inputs as Record<string, unknown>,
    ...(typeof obj.model === "string" ? { model: obj.model } : {}),
    ...(typeof obj.version === "string" ? { version: obj.version } : {}),
  };
}

/** /predict values → tensors: the shape comes from the nesting, the datatype from the model's input. */
export function predictInputsToTensors(
  inputs: Record<string, unknown>,
  modelInputs: readonly { name: string; datatype: OipDatatype }[],
): NamedTensor[] {
  return Object.entries(inputs).map(([name, value]) => {
    const datatype = modelInputs.find((i) => i.name === name)?.datatype;
    if (!datatype)
      throw badRequest(
        `input "${name}": the model has no such input (it takes ${modelInputs.map((i) => `"${i.name}"`).join(", ")})`,
      );
    const ragged = () =>
      badRequest(`input "${name}": the nested arrays are ragged (rows of different lengths)`);
    // Numbers are read flat by the scanner: a NestedNumbers knows its shape, a typed array is 1-D.
    if (value instanceof NestedNumbers) {
      if (!value.rectangular) throw ragged();
      if (value.levels > MAX_RANK) throw badRequest(`input "${name}": nested deeper than ${MAX_RANK} levels`);
      return { name, datatype, shape: value.shape, data: decodeNumberValues(datatype, value.values, name) };
    }
    if (isTyped(value))
      return { name, datatype, shape: [value.length], data: decodeNumberValues(datatype, value, name) };
    const shape = nestedShape(value, name);
    const flat = shape.length === 0 ? [value] : flattenData(value, name);
    if (flat.length !== elementCount(shape)) throw ragged();
    const data = isTyped(flat)
      ? decodeNumberValues(datatype, flat, name)
      : decodeJsonValues(datatype, flat, name);
    return { name, datatype, shape, data };
  });
}

/** `{"outputs": {"name": nested array}}`, nested by each output's shape. */
export function encodePredictResponse(outputs: NamedTensor[]): EncodedBody {
  const parts = outputs.map((o) => `${JSON.stringify(o.name)}:${nest(encodeJsonValues(o), o.shape)}`);
  return { contentType: "application/json", body: Buffer.from(`{"outputs":{${parts.join(",")}}}`, "utf8") };
}

export function encodeError(message: string): EncodedBody {
  return { contentType: "application/json", body: Buffer.from(JSON.stringify({ error: message }), "utf8") };
}

// --- helpers -----------------------------------------------------------------------------------

/**
 * A request body through the byte scanner (codec/json-scan.ts): numbers under "data" (or, with
 * `fieldsOf`, under each field of that top-level object) read flat, memory bounded by the body's size.
 */
function parseJson(bytes: Uint8Array, fieldsOf?: string): unknown {
  try {
    return parseJsonBytes(bytes, MAX_JSON_DEPTH, fieldsOf);
  } catch (e) {
    if (e instanceof JsonDepthError)
      throw badRequest(`the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`);
    if (e instanceof JsonSizeError)
      throw badRequest(
        `the JSON body holds ${(e as Error).message}: send tensors as arrays of numbers, or with the binary data extension`,
      );
    throw badRequest(`malformed JSON: ${(e as Error).message}`);
  }
}

function expectObject(v: unknown, what: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v))
    throw badRequest(`${what} must be a JSON object`);
  return v as Record<string, unknown>;
}

function parseShape(v: unknown, name: string): number[] {
  if (!Array.isArray(v)) throw badRequest(`input "${name}" needs a "shape" array of integers`);
  if (v.length > MAX_RANK)
    throw badRequest(`input "${name}": rank ${v.length} is over the limit of ${MAX_RANK}`);
  for (const d of v)
    if (!Number.isSafeInteger(d) || d < 0)
      throw badRequest(
        `input "${name}": shape must hold non-negative integers, not ${preview(d)} (dim ${v.indexOf(d)})`,
      );
  return v as number[];
}

/**
 * Row-major flattening of `data`, which may be flat or nested (both are allowed by the spec). Scanned
 * number arrays (Float64Array, Float32Array for FP32) stay typed: nested ones are joined into one
 * array of their kind (one tensor's leaves are all of one kind: the scanner reads its data one way).
 */
function flattenData(data: unknown, name: string): unknown[] | Float64Array | Float32Array {
  const tooDeep = () => badRequest(`input "${name}": data is nested deeper than ${MAX_RANK} levels`);
  if (data instanceof NestedNumbers) {
    if (data.levels > MAX_RANK) throw tooDeep();
    return data.values;
  }
  if (isTyped(data)) return data;
  if (!Array.isArray(data)) throw badRequest(`input "${name}": "data" must be an array`);
  if (data.length === 0 || !(Array.isArray(data[0]) || isScanned(data[0]))) return data;
  const leaves: (unknown[] | Float64Array | Float32Array)[] = [];
  let typed = true;
  let total = 0;
  const walk = (a: unknown[], depth: number) => {
    if (depth > MAX_RANK) throw tooDeep();
    let loose: unknown[] | undefined;
    for (const x of a) {
      if (Array.isArray(x)) walk(x, depth + 1);
      else if (isScanned(x)) {
        const values = x instanceof NestedNumbers ? x.values : x;
        if (depth + (x instanceof NestedNumbers ? x.levels : 1) > MAX_RANK) throw tooDeep();
        leaves.push(values);
        total += values.length;
      } else {
        if (!loose) leaves.push((loose = []));
        loose.push(x);
        typed = false;
      }
    }
  };
  walk(data, 1);
  if (typed) {
    const out = leaves[0] instanceof Float32Array ? new Float32Array(total) : new Float64Array(total);
    let off = 0;
    for (const l of leaves as (Float64Array | Float32Array)[]) {
      out.set(l, off);
      off += l.length;
    }
    return out;
  }
  return leaves.flatMap((l) => (isTyped(l) ? Array.from(l) : l));
}

const isTyped = (x: unknown): x is Float64Array | Float32Array =>
  x instanceof Float64Array || x instanceof Float32Array;
/** What the scanner makes of an array of numbers under "data": flat, or nested. */
const isScanned = (x: unknown): x is Float64Array | Float32Array | NestedNumbers =>
  isTyped(x) || x instanceof NestedNumbers;

/** The shape of a nested array, read along its first elements (raggedness is caught by the count). */
function nestedShape(v: unknown, name: string): number[] {
  const shape: number[] = [];
  let cur = v;
  while (Array.isArray(cur)) {
    if (shape.length >= MAX_RANK) throw badRequest(`input "${name}": nested deeper than ${MAX_RANK} levels`);
    shape.push(cur.length);
    cur = cur[0];
  }
  // A leaf row read by the scanner (a typed array, or nested numbers below a row of other values).
  if (isTyped(cur)) shape.push(cur.length);
  else if (cur instanceof NestedNumbers) shape.push(...cur.shape);
  if (shape.length > MAX_RANK) throw badRequest(`input "${name}": nested deeper than ${MAX_RANK} levels`);
  return shape;
}

/** Re-nests a flat JSON array text ("[a,b,c,d]") as the given shape, without re-parsing numbers. */
function nest(flatJson: string, shape: number[]): string {
  if (shape.length === 0) return flatJson.slice(1, -1) || "null";
  if (shape.length === 1) return flatJson;
  const items = splitTopLevel(flatJson);
  let idx = 0;
  const build = (dim: number): string => {
    const parts: string[] = [];
    for (let i = 0; i < shape[dim]; i++) parts.push(dim === shape.length - 1 ? items[idx++] : build(dim + 1));
    return `[${parts.join(",")}]`;
  };
  return build(0);
}

/** Elements of a flat JSON array text; strings may contain commas, so they are scanned properly. */
function splitTopLevel(flatJson: string): string[] {
  const body = flatJson.slice(1, -1);
  if (body === "") return [];
  if (!body.includes('"')) return body.split(",");
  return (JSON.parse(flatJson) as unknown[]).map((x) => JSON.stringify(x));
}
