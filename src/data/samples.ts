/**
 * Input samples for calibration, evaluation and benchmarks: loaded from .pb TensorProto files (the
 * backend-test layout), .npy/.npz, JSON, images (.png/.jpg), audio (.wav), or generated ("random:N")
 * from the model's input types. Every loaded sample is checked against the model's inputs (dtype, rank,
 * fixed dims), naming the file it came from.
 */
import fs from "node:fs";
import path from "node:path";
import type { ModelProto } from "../onnx/proto.js";
import { decodeTensorProto } from "../onnx/proto.js";
import { tensorToArray, type NumericArray } from "../onnx/tensor.js";
import { DT, dtypeName } from "../onnx/dtypes.js";
import { tensorShape, typeToString } from "../ir/types.js";
import { seededRandom } from "../onnx/random.js";
import { parseNpy, parseNpz } from "./npy.js";
import { fixedInputValue } from "./default-shapes.js";
import { UserError } from "../errors.js";
import type { SampleOptions } from "./sample-options.js";
import { decodeImage, imageToTensor } from "./image-sample.js";
import { decodeWav, wavToTensors } from "./audio-sample.js";
import { checkSamples, fillOtherInputs, mediaInput, type Sourced } from "./check-samples.js";
import type { HostTensor, Sample } from "../runtime/ort.js";

/** The files a samples folder may hold. */
export const SAMPLE_FILE = /\.(pb|npy|npz|json|png|jpe?g|wav)$/i;

export interface ModelInput {
  name: string;
  dtype: number;
  dims: (number | string | null)[] | undefined;
}

export function modelInputs(model: ModelProto): ModelInput[] {
  const g = model.graph!;
  const inits = new Set(g.initializer.map((t) => t.name));
  return g.input
    .filter((v) => !inits.has(v.name))
    .map((v) => {
      const t = v.type?.value.case === "tensorType" ? v.type.value.value.elemType : 0;
      if (!t)
        throw new UserError(
          `input "${v.name}" is ${typeToString(v.type) ?? "untyped"}; only tensor inputs can be generated or loaded`,
        );
      return { name: v.name, dtype: t, dims: tensorShape(v.type) };
    });
}

/** "x=1,3,224,224" flags -> map. */
export function parseShapes(specs: string[] = []): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const s of specs) {
    const [name, dims] = s.split("=");
    const parsed = (dims ?? "").split(/[,x]/).map(Number);
    if (!name || !dims || parsed.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new UserError(`bad --shape "${s}"`, {
        hint: "write --shape NAME=D1,D2,... e.g. --shape input=1,3,224,224",
      });
    }
    m.set(name, parsed);
  }
  return m;
}

/** Concrete dims for an input: --shape wins; a symbolic leading (batch) dim becomes `batch`. */
export function resolveDims(input: ModelInput, shapes: Map<string, number[]>, batch = 1): number[] {
  const given = shapes.get(input.name);
  if (given) return given;
  if (!input.dims)
    throw new UserError(`input "${input.name}" has unknown rank`, {
      hint: `pass --shape ${input.name}=D1,D2,...`,
    });
  return input.dims.map((d, i) => {
    if (typeof d === "number") return d;
    if (i === 0) return batch;
    throw new UserError(`input "${input.name}" has a symbolic dimension "${d ?? "?"}" (axis ${i})`, {
      hint: `pass --shape ${input.name}=${input.dims!.map((x, j) => (typeof x === "number" ? x : j === 0 ? batch : "N")).join(",")} with N filled in (in mlpack.yaml: quantize.shapes: ["${input.name}=..."])`,
    });
  });
}

function randomData(dtype: number, count: number, rand: () => number): NumericArray | string[] {
  switch (dtype) {
    case DT.FLOAT:
      return Float32Array.from({ length: count }, () => rand() * 2 - 1);
    case DT.DOUBLE:
      return Float64Array.from({ length: count }, () => rand() * 2 - 1);
    case DT.INT64:
      return BigInt64Array.from({ length: count }, () => BigInt(Math.floor(rand() * 10)));
    case DT.INT32:
      return Int32Array.from({ length: count }, () => Math.floor(rand() * 10));
    case DT.UINT8:
    case DT.BOOL:
      return Uint8Array.from({ length: count }, () => Math.floor(rand() * (dtype === DT.BOOL ? 2 : 256)));
    case DT.INT8:
      return Int8Array.from({ length: count }, () => Math.floor(rand() * 256) - 128);
    case DT.STRING:
      return Array.from({ length: count }, () => "x");
    default:
      throw new UserError(`cannot generate random ${dtypeName(dtype)} inputs`, {
        hint: "provide input files instead of random data",
      });
  }
}

/** Largest generated input (2^28 elements, 1 GiB of float32): past it a shape is a mistake. */
export const MAX_GENERATED_ELEMENTS = 2 ** 28;

export function randomSamples(
  model: ModelProto,
  count: number,
  shapes = new Map<string, number[]>(),
  seed = 1,
): Sample[] {
  const rand = seededRandom(seed);
  const inputs = modelInputs(model);
  return Array.from({ length: count }, () => {
    const s: Sample = new Map();
    for (const i of inputs) {
      const dims = resolveDims(i, shapes);
      const count = dims.reduce((a, b) => a * b, 1);
      if (!(count <= MAX_GENERATED_ELEMENTS))
        throw new UserError(
          `input "${i.name}" [${dims.join(", ")}] would have ${count} elements (limit ${MAX_GENERATED_ELEMENTS})`,
          {
            hint: `the model declares an absurd shape; pass real samples or --shape ${i.name}=D1,D2,... with smaller dims`,
          },
        );
      const fixed = fixedInputValue(i.name, i.dtype, dims);
      const data = randomData(i.dtype, count, rand);
      if (data instanceof BigInt64Array || data instanceof BigUint64Array)
        data.fill(BigInt(fixed ?? 0), 0, fixed === undefined ? 0 : count);
      else if (fixed !== undefined) (data as Int32Array).fill(fixed);
      s.set(i.name, { dtype: i.dtype, dims, data });
    }
    return s;
  });
}

function fromJsonValue(v: unknown, input: ModelInput, where: string): HostTensor {
  let dims: number[];
  let flat: unknown[];
  if (v && typeof v === "object" && !Array.isArray(v) && "data" in v) {
    const o = v as { dims?: number[]; shape?: number[]; data: unknown[] };
    dims = o.dims ?? o.shape ?? [o.data.length];
    flat = (o.data as unknown[]).flat(Infinity);
  } else if (Array.isArray(v)) {
    dims = [];
    for (let x: unknown = v; Array.isArray(x); x = x[0]) dims.push(x.length);
    flat = v.flat(Infinity);
  } else throw new UserError(`${where}: "${input.name}" must be a (nested) array or {dims, data}`);
  const n = dims.reduce((a, b) => a * b, 1);
  if (flat.length !== n)
    throw new UserError(`${where}: "${input.name}" has ${flat.length} values for dims [${dims}]`);
  const nums = flat as number[];
  const data: NumericArray | string[] =
    input.dtype === DT.FLOAT
      ? Float32Array.from(nums)
      : input.dtype === DT.DOUBLE
        ? Float64Array.from(nums)
        : input.dtype === DT.INT64
          ? BigInt64Array.from(nums.map((x) => BigInt(x)))
          : input.dtype === DT.INT32
            ? Int32Array.from(nums)
            : input.dtype === DT.UINT8 || input.dtype === DT.BOOL
              ? Uint8Array.from(nums)
              : input.dtype === DT.INT8
                ? Int8Array.from(nums)
                : (flat as string[]);
  return { dtype: input.dtype, dims, data };
}

const IMAGE = /\.(png|jpe?g)$/i;
const WAV = /\.wav$/i;

/** One image or WAV file -> samples (a WAV file may give several windows). */
function samplesFromMedia(
  f: string,
  inputs: ModelInput[],
  shapes: Map<string, number[]>,
  options: SampleOptions,
): Sourced[] {
  const bytes = new Uint8Array(fs.readFileSync(f));
  const kind = IMAGE.test(f) ? "image" : "audio";
  const input = mediaInput(kind, inputs, shapes, options, f);
  const dims = resolveDims(input, shapes);
  const tensors =
    kind === "image"
      ? [imageToTensor(decodeImage(bytes, f), dims, input.dtype, options.image ?? {}, f, input.name)]
      : wavToTensors(decodeWav(bytes, f), dims, input.dtype, audioOptions(inputs, options), f, input.name);
  return tensors.map((t) => {
    const s: Sample = new Map([[input.name, t]]);
    fillOtherInputs(s, inputs, shapes, options);
    return { sample: s, source: f };
  });
}

/** The expected sample rate defaults to the model's fixed `sr` value (silero: 16000). */
function audioOptions(inputs: ModelInput[], options: SampleOptions) {
  const sr = inputs.find((i) => fixedInputValue(i.name, i.dtype, [1]) !== undefined);
  const given = sr && options.values?.[sr.name];
  return { ...options.audio, sampleRate: options.audio?.sampleRate ?? given ?? 16000 };
}

function sampleFromFiles(files: string[], inputs: ModelInput[]): Sample {
  const s: Sample = new Map();
  for (const f of files) {
    const bytes = new Uint8Array(fs.readFileSync(f));
    if (f.endsWith(".pb")) {
      const t = tensorToArray(decodeTensorProto(bytes));
      const idx = /input_(\d+)\.pb$/.exec(f)?.[1];
      const input =
        inputs.find((i) => i.name === t.name) ?? (idx !== undefined ? inputs[Number(idx)] : undefined);
      if (!input)
        throw new UserError(`${f}: cannot tell which model input it is`, {
          hint: "name it input_<index>.pb or set the TensorProto name",
        });
      s.set(input.name, { dtype: t.dtype, dims: t.dims, data: t.data as NumericArray });
    } else if (f.endsWith(".npy")) {
      const base = path.basename(f, ".npy");
      const input = inputs.find((i) => i.name === base) ?? (inputs.length === 1 ? inputs[0] : undefined);
      if (!input) throw new UserError(`${f}: name .npy files after the model input they hold`);
      s.set(input.name, parseNpy(bytes, f));
    } else if (f.endsWith(".npz")) {
      for (const [name, arr] of parseNpz(bytes, f)) {
        const input = inputs.find((i) => i.name === name) ?? (inputs.length === 1 ? inputs[0] : undefined);
        if (input) s.set(input.name, arr);
      }
    }
  }
  return s;
}

function loadSourced(
  spec: string,
  inputs: ModelInput[],
  shapes: Map<string, number[]>,
  options: SampleOptions,
): Sourced[] {
  if (fs.statSync(spec).isFile()) {
    if (/\.json$/i.test(spec)) {
      let json: unknown;
      try {
        json = JSON.parse(fs.readFileSync(spec, "utf8"));
      } catch (e) {
        throw new UserError(`${spec}: not valid JSON (${(e as Error).message})`);
      }
      const list = Array.isArray(json) ? json : [json];
      return list.map((obj, k) => {
        const s: Sample = new Map();
        for (const i of inputs)
          if ((obj as Record<string, unknown>)[i.name] !== undefined)
            s.set(i.name, fromJsonValue((obj as Record<string, unknown>)[i.name], i, `${spec}[${k}]`));
        return { sample: s, source: `${spec}[${k}]` };
      });
    }
    if (IMAGE.test(spec) || WAV.test(spec)) return samplesFromMedia(spec, inputs, shapes, options);
    return [{ sample: sampleFromFiles([spec], inputs), source: spec }];
  }
  const entries = fs
    .readdirSync(spec)
    .sort()
    .map((e) => path.join(spec, e));
  const dirs = entries.filter((e) => fs.statSync(e).isDirectory());
  if (dirs.length > 0)
    return dirs.map((d) => ({
      sample: sampleFromFiles(
        fs
          .readdirSync(d)
          .filter((f) => /^input_\d+\.pb$|\.npy$|\.npz$/.test(f))
          .sort()
          .map((f) => path.join(d, f)),
        inputs,
      ),
      source: d,
    }));
  const files = entries.filter((e) => SAMPLE_FILE.test(e));
  if (files.length > 0 && files.every((f) => /input_\d+\.pb$/.test(f)))
    return [{ sample: sampleFromFiles(files, inputs), source: spec }];
  return files.flatMap((f) => loadSourced(f, inputs, shapes, options));
}

/**
 * Samples from a spec: "random:N", a JSON file (one sample object or an array of them), an
 * .npz/.npy/.pb/.png/.jpg/.wav file, a directory of such files (one sample per file, several per long
 * WAV file, or input_<i>.pb files forming one sample), or a directory of sample directories
 * (test_data_set_0/, ...). `options` says how images and audio become tensors.
 */
export function loadSamples(
  spec: string,
  model: ModelProto,
  shapes = new Map<string, number[]>(),
  options: SampleOptions = {},
): { samples: Sample[]; random: boolean } {
  const inputs = modelInputs(model);
  const rnd = /^random(?::(\d+))?$/.exec(spec);
  if (rnd) return { samples: randomSamples(model, Number(rnd[1] ?? 8), shapes), random: true };
  if (!fs.existsSync(spec))
    throw new UserError(`samples "${spec}" not found`, { hint: "give a file, a directory, or random:N" });
  const sourced = loadSourced(spec, inputs, shapes, options);
  checkSamples(sourced, inputs, shapes, spec);
  return { samples: sourced.map((s) => s.sample), random: false };
}
