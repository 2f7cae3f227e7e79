/**
 * path | bytes -> ModelProto, with the safety limits: every failure is a one-line ModelFormatError
 * (never a stack trace), nesting depth is bounded, declared sizes are checked against the bytes that
 * are really there before anything is allocated, and external data is resolved safely.
 */
import path from "node:path";
import { decodeModelProto, type ModelProto, type TensorProto, type GraphProto } from "./proto.js";
import { ExternalDataStore } from "./external-data.js";
import {
  elementCount,
  isExternal,
  payloadKind,
  tensorDims,
  tensorRawBytes,
  tensorToArray,
  type DecodedTensor,
} from "./tensor.js";
import { dtypeInfo, rawByteLength } from "./dtypes.js";
import { ModelFormatError } from "../errors.js";
import { printable } from "../printable.js";
import { readRegularFile } from "../read-regular-file.js";
import { forEachGraph } from "./walk-proto.js";

export interface ReadModelOptions {
  /** Directory that holds external data files; defaults to the model file's directory. */
  externalDataDir?: string;
  /** Deepest allowed nesting of subgraphs (If/Loop/Scan bodies inside each other). */
  maxGraphDepth?: number;
  /** Name used in messages when reading from bytes. */
  source?: string;
}

export interface LoadedModel {
  proto: ModelProto;
  /** The path it was read from, or a label for in-memory bytes. */
  source: string;
  /** Size of the .onnx protobuf itself. */
  protoBytes: number;
  /** Reader for external tensors; undefined when the model was given as bytes with no directory. */
  external?: ExternalDataStore;
  /** External data files the model references, with their sizes. */
  externalFiles: { location: string; bytes: number }[];
}

/** The protobuf decoder already stops at 100 nested messages, which is 32 subgraph levels. */
export const DEFAULT_MAX_GRAPH_DEPTH = 32;
/** protobuf messages cannot exceed 2 GiB; bigger models must use external data. */
export const MAX_PROTO_BYTES = 2 ** 31 - 1;

export async function readModel(file: string, opts: ReadModelOptions = {}): Promise<LoadedModel> {
  // A regular file only (never /dev/zero or a FIFO), read no further than its size.
  const bytes = await readRegularFile(file, {
    what: "model",
    maxBytes: MAX_PROTO_BYTES,
    sizeHint:
      "protobuf messages cannot exceed 2 GiB; models this large must keep their weights in external data files",
  });
  return readModelFromBytes(bytes, {
    ...opts,
    source: opts.source ?? file,
    externalDataDir: opts.externalDataDir ?? path.dirname(path.resolve(file)),
  });
}

export function readModelFromBytes(bytes: Uint8Array, opts: ReadModelOptions = {}): LoadedModel {
  const source = opts.source ?? "<bytes>";
  const proto = decode(bytes, source);
  checkIsOnnx(proto, source, bytes.length);
  checkStructure(proto, source, opts.maxGraphDepth ?? DEFAULT_MAX_GRAPH_DEPTH);
  const external = opts.externalDataDir ? new ExternalDataStore(opts.externalDataDir) : undefined;
  const externalFiles = checkTensors(proto, source, external);
  return { proto, source, protoBytes: bytes.length, external, externalFiles };
}

function decode(bytes: Uint8Array, source: string): ModelProto {
  try {
    return decodeModelProto(bytes);
  } catch (e) {
    const deep = e instanceof Error && (/call stack/i.test(e.message) || /recursion depth/i.test(e.message));
    if (deep) {
      // The decoder stops at 100 nested messages (about 32 levels of If/Loop bodies).
      throw new ModelFormatError(
        `${source}: messages are nested too deeply to read (subgraphs inside subgraphs)`,
        {
          hint: "the file is corrupt or hostile; a real model nests If/Loop bodies a few levels deep",
        },
      );
    }
    const msg = e instanceof Error ? e.message : String(e);
    throw new ModelFormatError(`${source}: not a valid ONNX protobuf (${msg}; ${bytes.length} bytes)`, {
      hint: "the file is truncated or is not an .onnx model; re-export or re-download it",
    });
  }
}

function checkIsOnnx(proto: ModelProto, source: string, size: number): void {
  if (size === 0) throw new ModelFormatError(`${source}: the file is empty`, { hint: "re-export the model" });
  if (!proto.graph) {
    throw new ModelFormatError(`${source}: not an ONNX model (the protobuf has no graph)`, {
      hint: "pass an .onnx ModelProto file; other protobufs (TensorProto .pb files, TF SavedModels) are not models",
    });
  }
  if (proto.irVersion <= 0n) {
    throw new ModelFormatError(`${source}: not an ONNX model (ir_version is missing)`, {
      hint: "every ONNX model records its IR version; the file is corrupt or another kind of protobuf",
    });
  }
}

function checkStructure(proto: ModelProto, source: string, maxDepth: number): void {
  const roots: GraphProto[] = [proto.graph!];
  for (const f of proto.functions) roots.push({ node: f.node } as GraphProto);
  for (const ti of proto.trainingInfo) {
    if (ti.initialization) roots.push(ti.initialization);
    if (ti.algorithm) roots.push(ti.algorithm);
  }
  for (const root of roots) {
    forEachGraph(root, (_g, depth) => {
      if (depth > maxDepth) {
        throw new ModelFormatError(
          `${source}: subgraphs are nested ${depth} levels deep (limit ${maxDepth})`,
          {
            hint: "the file is corrupt or hostile; real models nest If/Loop bodies a few levels deep",
          },
        );
      }
    });
  }
}

/** Every stored tensor's declared size must match its payload; external references must be safe. */
function checkTensors(proto: ModelProto, source: string, external?: ExternalDataStore) {
  const files = new Map<string, number>();
  const check = (t: TensorProto) => {
    const info = dtypeInfo(t.dataType);
    if (!info) {
      throw new ModelFormatError(
        `${source}: tensor "${printable(t.name)}" has unknown data_type ${t.dataType}`,
        {
          hint: "mlpack knows ONNX data types 1-26 (ONNX 1.20)",
        },
      );
    }
    const count = elementCount(wrap(source, () => tensorDims(t)));
    const kind = payloadKind(t);
    // Compare like with like: bytes for raw and external payloads, values for typed fields.
    let have: number;
    let want: number;
    let unit = "bytes";
    if (kind === "external") {
      if (!external) {
        throw new ModelFormatError(
          `${source}: tensor "${printable(t.name)}" uses external data but no directory was given`,
          {
            hint: "read the model from its file path so the data files beside it can be found",
          },
        );
      }
      const r = wrap(source, () => external.resolve(t));
      wrap(source, () => external.verify(t));
      files.set(t.externalData.find((e) => e.key === "location")!.value, r.fileSize);
      [have, want] = [r.length, rawByteLength(info, count)];
    } else if (info.bits === 0) {
      [have, want, unit] = [t.stringData.length, count, "strings"];
    } else if (kind === "typed") {
      const perValue = info.bits < 8 ? 8 / info.bits : 1 / info.lanes;
      [have, want, unit] = [(t[info.field] as unknown[]).length, Math.ceil(count / perValue), "values"];
    } else {
      [have, want] = [t.rawData.length, rawByteLength(info, count)];
    }
    if (have !== want) {
      throw new ModelFormatError(
        `${source}: tensor "${printable(t.name)}" declares dims [${t.dims.join(",")}] of ${info.name} (${fmtCount(want)} ${unit}) but holds ${have} ${unit}`,
        { hint: "the file is corrupt or truncated; re-export the model" },
      );
    }
  };
  forEachStoredTensor(proto, check);
  return [...files].map(([location, bytes]) => ({ location, bytes }));
}

function fmtCount(n: number): string {
  return n >= 1e9 ? n.toExponential(2) : String(n);
}

function wrap<T>(source: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ModelFormatError)
      throw new ModelFormatError(`${source}: ${e.message}`, { hint: e.hint });
    throw e;
  }
}

/** Initializers, sparse initializers and tensor-valued attributes, in every graph. */
export function forEachStoredTensor(proto: ModelProto, fn: (t: TensorProto) => void): void {
  const visitGraph = (g: GraphProto) =>
    forEachGraph(g, (graph) => {
      for (const t of graph.initializer) fn(t);
      for (const s of graph.sparseInitializer) {
        if (s.values) fn(s.values);
        if (s.indices) fn(s.indices);
      }
      for (const n of graph.node) {
        for (const a of n.attribute) {
          if (a.t) fn(a.t);
          for (const t of a.tensors) fn(t);
        }
      }
    });
  if (proto.graph) visitGraph(proto.graph);
  for (const f of proto.functions)
    visitGraph({ node: f.node, initializer: [], sparseInitializer: [] } as unknown as GraphProto);
}

/** Decoded tensor values, reading external data when needed. */
export function readTensor(model: LoadedModel, t: TensorProto): DecodedTensor {
  return tensorToArray(t, model.external && ((x) => model.external!.read(x)));
}

/** Raw little-endian bytes of a tensor, reading external data when needed. */
export function readTensorBytes(model: LoadedModel, t: TensorProto): Uint8Array {
  return tensorRawBytes(t, model.external && ((x) => model.external!.read(x)));
}

export { isExternal };
