/**
 * ModelProto -> .onnx file (+ external data file). Writes to temporary names and renames at the end,
 * so a failure never leaves a half-written model. Unchanged models encode byte-exactly.
 */
import fs from "node:fs";
import path from "node:path";
import {
  encodeModelProto,
  create,
  DataLocation,
  StringStringEntryProtoSchema,
  type ModelProto,
  type TensorProto,
} from "./proto.js";
import { declaredByteLength, isExternal, tensorRawBytes, type ExternalDataReader } from "./tensor.js";
import { forEachStoredTensor, MAX_PROTO_BYTES } from "./read.js";
import { dtypeInfo } from "./dtypes.js";
import { UserError } from "../errors.js";
import { checkOutputFile, ensureOutputDir } from "../write-atomic.js";

export interface WriteModelOptions {
  /**
   * "auto" (default): tensors stay inline unless the model would pass the protobuf limit, then every
   * tensor of at least sizeThreshold bytes moves to the data file. "always": move them regardless.
   * "never": inline everything (fails past the limit).
   */
  externalData?: "auto" | "always" | "never";
  /** Data file name, relative to the model's directory. Default: "<model file name>.data". */
  location?: string;
  /** Tensors smaller than this stay inline. Default 1024 bytes. */
  sizeThreshold?: number;
  /** Byte alignment of each tensor in the data file (for mmap). Default 4096. */
  align?: number;
  /** Encoded size above which "auto" externalizes. Default: the 2 GiB protobuf limit. */
  maxProtoBytes?: number;
  /** Reads tensors the source model keeps in external files (LoadedModel.external). */
  source?: ExternalDataReader;
}

export interface WriteResult {
  modelPath: string;
  modelBytes: number;
  dataPath?: string;
  dataBytes: number;
  externalTensors: number;
}

const SAVED_FIELDS = [
  "rawData",
  "dataLocation",
  "externalData",
  "floatData",
  "int32Data",
  "int64Data",
  "doubleData",
  "uint64Data",
] as const;

export async function writeModel(
  model: ModelProto,
  file: string,
  opts: WriteModelOptions = {},
): Promise<WriteResult> {
  const mode = opts.externalData ?? "auto";
  const threshold = opts.sizeThreshold ?? 1024;
  const align = opts.align ?? 4096;
  const limit = opts.maxProtoBytes ?? MAX_PROTO_BYTES;
  const modelPath = path.resolve(file);
  const location = opts.location ?? `${path.basename(modelPath)}.data`;
  const dataPath = path.join(path.dirname(modelPath), location);

  const tensors: TensorProto[] = [];
  forEachStoredTensor(model, (t) => tensors.push(t));
  const alreadyExternal = tensors.filter(isExternal);
  const inlineBytes = tensors.reduce((s, t) => s + (isExternal(t) ? declaredByteLength(t) : 0), 0);

  let toExternal: TensorProto[] = [];
  if (mode === "always") {
    toExternal = tensors.filter(
      (t) => isExternal(t) || (isFixedWidth(t) && declaredByteLength(t) >= threshold),
    );
  } else if (mode === "auto") {
    const estimate = estimateInlineSize(tensors) + inlineBytes;
    toExternal =
      estimate > limit
        ? tensors.filter((t) => isExternal(t) || (isFixedWidth(t) && declaredByteLength(t) >= threshold))
        : alreadyExternal;
  }
  const stay = new Set(toExternal);
  const toInline = mode === "never" ? alreadyExternal : alreadyExternal.filter((t) => !stay.has(t));

  checkOutputFile(modelPath, "model");
  if (toExternal.length > 0) checkOutputFile(dataPath, "external data file");
  ensureOutputDir(path.dirname(modelPath));
  const tmpModel = `${modelPath}.tmp-${process.pid}`;
  const tmpData = `${dataPath}.tmp-${process.pid}`;
  // Saved with presence: proto2 fields that were absent must become absent again (not set to default),
  // or the caller's model would re-encode differently.
  const saved = new Map<TensorProto, Map<string, { own: boolean; value: unknown }>>();
  const remember = (t: TensorProto) => {
    if (saved.has(t)) return;
    const fields = new Map<string, { own: boolean; value: unknown }>();
    for (const k of SAVED_FIELDS)
      fields.set(k, { own: Object.prototype.hasOwnProperty.call(t, k), value: t[k] });
    saved.set(t, fields);
  };
  let dataBytes = 0;
  try {
    for (const t of toInline) {
      const bytes = tensorRawBytes(t, opts.source);
      remember(t);
      t.rawData = bytes as Uint8Array<ArrayBuffer>;
      clearField(t, "dataLocation");
      t.externalData = [];
    }
    if (toExternal.length > 0) {
      dataBytes = writeDataFile(tmpData, toExternal, location, align, opts.source, remember);
    }
    const bytes = encodeModelProto(model);
    if (bytes.length > limit) {
      throw new UserError(
        `the model encodes to ${bytes.length} bytes, over the ${limit}-byte protobuf limit`,
        {
          hint: 'save with externalData "auto" or "always" so large tensors go to a data file',
        },
      );
    }
    await fs.promises.writeFile(tmpModel, bytes);
    if (toExternal.length > 0) await fs.promises.rename(tmpData, dataPath);
    await fs.promises.rename(tmpModel, modelPath);
    return {
      modelPath,
      modelBytes: bytes.length,
      dataPath: toExternal.length > 0 ? dataPath : undefined,
      dataBytes,
      externalTensors: toExternal.length,
    };
  } catch (e) {
    await fs.promises.rm(tmpModel, { force: true });
    await fs.promises.rm(tmpData, { force: true });
    throw e;
  } finally {
    // The caller's model is left exactly as it was given.
    for (const [t, fields] of saved) {
      const rec = t as unknown as Record<string, unknown>;
      for (const [k, { own, value }] of fields) {
        if (own) rec[k] = value;
        else delete rec[k];
      }
    }
  }
}

/** Unset a proto2 field (absent, not present-with-default, so it is not encoded). */
function clearField(t: TensorProto, key: "rawData" | "dataLocation"): void {
  delete (t as unknown as Record<string, unknown>)[key];
}

function isFixedWidth(t: TensorProto): boolean {
  return (dtypeInfo(t.dataType)?.bits ?? 0) > 0;
}

function estimateInlineSize(tensors: TensorProto[]): number {
  let n = 0;
  for (const t of tensors) if (!isExternal(t)) n += declaredByteLength(t) + 64;
  return n;
}

function writeDataFile(
  tmp: string,
  tensors: TensorProto[],
  location: string,
  align: number,
  source: ExternalDataReader | undefined,
  remember: (t: TensorProto) => void,
): number {
  const fd = fs.openSync(tmp, "w", 0o644);
  let pos = 0;
  try {
    for (const t of tensors) {
      const bytes = tensorRawBytes(t, source);
      const start = Math.ceil(pos / align) * align;
      if (start > pos) fs.writeSync(fd, new Uint8Array(start - pos), 0, start - pos, pos);
      for (let off = 0; off < bytes.length;)
        off += fs.writeSync(fd, bytes, off, bytes.length - off, start + off);
      pos = start + bytes.length;
      remember(t);
      const entry = (key: string, value: string) => create(StringStringEntryProtoSchema, { key, value });
      t.externalData = [
        entry("location", location),
        entry("offset", String(start)),
        entry("length", String(bytes.length)),
      ];
      t.dataLocation = DataLocation.EXTERNAL;
      clearField(t, "rawData");
      t.floatData = [];
      t.int32Data = [];
      t.int64Data = [];
      t.doubleData = [];
      t.uint64Data = [];
    }
  } finally {
    fs.closeSync(fd);
  }
  return pos;
}
