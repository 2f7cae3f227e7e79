/**
 * Inputs for benchmarking (pure): the model's graph inputs, concrete shapes (symbolic dims resolved by
 * --batch and --shape), and seeded random data of the right element type.
 */
import type { ModelProto } from "../onnx/proto.js";
import { tensorShape, type Dim } from "../ir/types.js";
import { ORT_TYPE_NAMES, dtypeName } from "../onnx/dtypes.js";
import { floatToFloat16Bits } from "../onnx/float16.js";
import { seededRandom } from "../onnx/random.js";
import type { NumericArray } from "../onnx/tensor.js";
import { UserError, UsageError } from "../errors.js";
import { fixedInputValue } from "../data/default-shapes.js";

export interface InputSpec {
  name: string;
  elemType: number;
  /** null: the rank is unknown. */
  shape: Dim[] | null;
}

/** onnxruntime-node's tensor type names, by ONNX element type. */
export const ORT_TYPE = ORT_TYPE_NAMES;

export type InputArray = NumericArray | string[];

/** A feed as plain data (structured-cloneable, so it can be posted to worker threads). */
export interface InputData {
  name: string;
  /** onnxruntime type name: float32, int64, ... */
  type: string;
  dims: number[];
  data: InputArray;
}

/** Largest element count generated for one input (a lying or unresolved shape must not exhaust memory). */
export const MAX_INPUT_ELEMENTS = 2 ** 28;

/** Graph inputs that are real inputs (not initializers listed as inputs, as IR < 4 models do). */
export function modelInputs(proto: ModelProto): InputSpec[] {
  const g = proto.graph;
  if (!g) return [];
  const inits = new Set(g.initializer.map((t) => t.name));
  return g.input
    .filter((v) => !inits.has(v.name))
    .map((v) => {
      if (v.type?.value.case !== "tensorType")
        throw new UserError(`input "${v.name}" is not a tensor; mlpack bench feeds tensor inputs only`, {
          hint: "benchmark a model whose inputs are tensors, or give them with --inputs DIR",
        });
      return { name: v.name, elemType: v.type.value.value.elemType, shape: tensorShape(v.type) ?? null };
    });
}

/** The batch sweep applies to inputs whose first dimension is symbolic or unknown. */
export function hasSymbolicBatch(
  inputs: readonly InputSpec[],
  shapes: Record<string, number[]> = {},
): boolean {
  return inputs.some(
    (i) => !shapes[i.name] && i.shape !== null && i.shape.length > 0 && typeof i.shape[0] !== "number",
  );
}

/**
 * Every --shape name must be an input or a symbolic dimension of one of the models: a typo would
 * otherwise be ignored and the benchmark run on shapes the user did not ask for.
 */
export function checkShapeNames(
  models: readonly { file: string; specs: readonly InputSpec[] }[],
  shapes: Record<string, number[]>,
): void {
  const inputs = new Set<string>();
  const symbols = new Set<string>();
  for (const m of models)
    for (const s of m.specs) {
      inputs.add(s.name);
      for (const d of s.shape ?? []) if (typeof d === "string") symbols.add(d);
    }
  const unknown = Object.keys(shapes).find((k) => !inputs.has(k) && !symbols.has(k));
  if (unknown === undefined) return;
  const list = (xs: Set<string>) => [...xs].join(", ") || "(none)";
  const who =
    models.length === 1
      ? `${models[0].file} has no input or symbolic dimension`
      : `neither ${models.map((m) => m.file).join(" nor ")} has an input or symbolic dimension`;
  throw new UsageError(`--shape ${unknown}=${shapes[unknown].join(",")}: ${who} "${unknown}"`, {
    hint: `its inputs: ${models
      .flatMap((m) => m.specs.map((s) => (s.shape ? `${s.name} ${fmt(s.shape)}` : s.name)))
      .filter((x, i, a) => a.indexOf(x) === i)
      .join("; ")}; symbolic dims: ${list(symbols)}`,
  });
}

/**
 * Concrete dims of one input. Each dimension comes from, in order: a fixed value in the model; the
 * input's full shape in --shape; the dimension's symbol in --shape; the batch size (first dimension);
 * otherwise it is an error naming the dimension and the flag to give.
 */
export function resolveShape(
  spec: InputSpec,
  batch: number,
  shapes: Record<string, number[]> = {},
): number[] {
  const full = shapes[spec.name];
  if (spec.shape === null) {
    if (full) return full;
    throw new UserError(`input "${spec.name}" has no shape in the model`, {
      hint: `give it with --shape ${spec.name}=1,3,224,224 (its full shape)`,
    });
  }
  if (full) {
    if (full.length !== spec.shape.length)
      throw new UsageError(
        `--shape ${spec.name}=${full.join(",")} has rank ${full.length}, but input "${spec.name}" has rank ${spec.shape.length} ${fmt(spec.shape)}`,
      );
    spec.shape.forEach((d, i) => {
      if (typeof d === "number" && d !== full[i])
        throw new UsageError(
          `--shape ${spec.name}=${full.join(",")}: dimension ${i} is fixed to ${d} in the model`,
        );
    });
    return full;
  }
  const dims = spec.shape;
  return dims.map((d, i) => {
    if (typeof d === "number") return d;
    if (typeof d === "string" && shapes[d]) {
      if (shapes[d].length !== 1)
        throw new UsageError(`--shape ${d}=... must give one value for a symbolic dimension`);
      return shapes[d][0];
    }
    if (i === 0) return batch;
    const what = typeof d === "string" ? `"${d}"` : "(unnamed)";
    throw new UserError(`input "${spec.name}" ${fmt(dims)}: dimension ${i} ${what} is symbolic`, {
      hint:
        typeof d === "string"
          ? `give it with --shape ${d}=N, or the whole shape with --shape ${spec.name}=${dims.map((x, j) => (j === 0 ? batch : typeof x === "number" ? x : "N")).join(",")}`
          : `give the whole shape with --shape ${spec.name}=...`,
    });
  });
}

const fmt = (dims: Dim[]) => `[${dims.map((d) => (d === null ? "?" : String(d))).join(", ")}]`;

/** Seeded random data: floats in [-1, 1), integers in [0, 10) (safe as indices), booleans, strings. */
export function randomInput(name: string, elemType: number, dims: number[], seed: number): InputData {
  const type = ORT_TYPE[elemType];
  if (!type)
    throw new UserError(
      `input "${name}" has element type ${dtypeName(elemType)}, which onnxruntime-node cannot feed`,
      {
        hint: "benchmark a model with standard input types (float, float16, double, ints, bool, string)",
      },
    );
  const n = dims.reduce((a, b) => a * b, 1);
  if (!(n <= MAX_INPUT_ELEMENTS))
    throw new UserError(`input "${name}" [${dims.join(", ")}] would have ${n} elements`, {
      hint: "use smaller --batch or --shape values",
    });
  const rand = seededRandom(seed);
  const ints = <T extends { [i: number]: number }>(a: T, len: number) => {
    for (let i = 0; i < len; i++) a[i] = Math.floor(rand() * 10);
    return a;
  };
  let data: InputArray;
  switch (type) {
    case "float32":
    case "float64": {
      const a = type === "float32" ? new Float32Array(n) : new Float64Array(n);
      for (let i = 0; i < n; i++) a[i] = rand() * 2 - 1;
      data = a;
      break;
    }
    case "float16": {
      const a = new Uint16Array(n);
      for (let i = 0; i < n; i++) a[i] = floatToFloat16Bits(rand() * 2 - 1);
      data = a;
      break;
    }
    case "int64":
      data = BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rand() * 10)));
      break;
    case "uint64":
      data = BigUint64Array.from({ length: n }, () => BigInt(Math.floor(rand() * 10)));
      break;
    case "bool":
      data = Uint8Array.from({ length: n }, () => (rand() < 0.5 ? 1 : 0));
      break;
    case "string":
      data = Array.from({ length: n }, () => "mlpack");
      break;
    default: {
      const ctor = {
        uint8: Uint8Array,
        int8: Int8Array,
        uint16: Uint16Array,
        int16: Int16Array,
        int32: Int32Array,
        uint32: Uint32Array,
      }[type]!;
      data = ints(new ctor(n), n);
    }
  }
  // Inputs random data cannot fill (a sample rate) get their one sensible value.
  const fixed = fixedInputValue(name, elemType, dims);
  if (fixed !== undefined)
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) data.fill(BigInt(fixed));
    else (data as Int32Array).fill(fixed);
  return { name, type, dims, data };
}

/** Random feeds for every input at one batch size (the same seed gives the same data). */
export function randomFeeds(
  inputs: readonly InputSpec[],
  batch: number,
  shapes: Record<string, number[]> = {},
  seed = 1,
): InputData[] {
  return inputs.map((spec, i) =>
    randomInput(spec.name, spec.elemType, resolveShape(spec, batch, shapes), seed + i),
  );
}

/** Parses "8,3,224,224" or "8x3x224x224" (also "name=dims" in --shape). */
export function parseDims(text: string): number[] {
  const parts = text.split(/[,x]/).map((s) => s.trim());
  const dims = parts.map(Number);
  if (!parts.length || dims.some((d, i) => parts[i] === "" || !Number.isInteger(d) || d < 0))
    throw new UsageError(`"${text}" is not a list of dimensions`, {
      hint: "write dims as 1,3,224,224 or 1x3x224x224",
    });
  return dims;
}
