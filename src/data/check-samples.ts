/**
 * Loaded samples against the model's inputs: which input an image or WAV file feeds, what the inputs
 * a file does not hold get, and one clear error naming the file and the expected input when a sample
 * has the wrong dtype or shape (before onnxruntime reports it without the file's name).
 */
import { DT, dtypeName } from "../onnx/dtypes.js";
import { UserError } from "../errors.js";
import type { Sample } from "../runtime/ort.js";
import { fixedInputValue } from "./default-shapes.js";
import type { SampleOptions } from "./sample-options.js";
import { resolveDims, type ModelInput } from "./samples.js";

export interface Sourced {
  sample: Sample;
  /** The file (or file[index], folder) the sample came from, for error messages. */
  source: string;
}

const isFloat = (dtype: number) => dtype === DT.FLOAT || dtype === DT.DOUBLE;

export function describeInput(i: ModelInput, shapes: Map<string, number[]>): string {
  const dims = shapes.get(i.name) ?? i.dims?.map((d) => (typeof d === "number" ? d : (d ?? "?")));
  return `"${i.name}" ${dtypeName(i.dtype)} [${dims?.join(",") ?? "?"}]`;
}

const expectedAll = (inputs: ModelInput[], shapes: Map<string, number[]>) =>
  inputs.map((i) => describeInput(i, shapes)).join(", ");

/** The input an image (a rank-4 float/uint8 input) or a waveform (a rank-1/2 float input) feeds. */
export function mediaInput(
  kind: "image" | "audio",
  inputs: ModelInput[],
  shapes: Map<string, number[]>,
  options: SampleOptions,
  file: string,
): ModelInput {
  const named = kind === "image" ? options.image?.input : options.audio?.input;
  const key = `quantize.samples.${kind}.input`;
  if (named) {
    const i = inputs.find((x) => x.name === named);
    if (!i)
      throw new UserError(`${key} "${named}": the model has no such input`, {
        hint: `its inputs: ${expectedAll(inputs, shapes)}`,
      });
    return i;
  }
  const rank = (i: ModelInput) => shapes.get(i.name)?.length ?? i.dims?.length;
  const fits = inputs.filter((i) =>
    kind === "image"
      ? rank(i) === 4 && (i.dtype === DT.FLOAT || i.dtype === DT.UINT8)
      : (rank(i) === 1 || rank(i) === 2) && isFloat(i.dtype),
  );
  if (fits.length !== 1)
    throw new UserError(
      `${file}: cannot tell which input ${kind === "image" ? "an image" : "a WAV file"} feeds: the model's inputs are ${expectedAll(inputs, shapes)} (${fits.length === 0 ? "none" : "more than one"} ${kind === "image" ? "rank-4 float/uint8" : "rank-1/2 float"})`,
      {
        hint: `name it with ${key}, or give .npy/.npz/.pb/.json samples instead`,
      },
    );
  return fits[0];
}

/** Inputs a media file does not hold: quantize.samples.values, a sample rate (sr), else zeros (a state). */
export function fillOtherInputs(
  s: Sample,
  inputs: ModelInput[],
  shapes: Map<string, number[]>,
  options: SampleOptions,
): void {
  for (const i of inputs) {
    if (s.has(i.name)) continue;
    const dims = resolveDims(i, shapes);
    const n = dims.reduce((a, b) => a * b, 1);
    const v = options.values?.[i.name] ?? fixedInputValue(i.name, i.dtype, dims) ?? 0;
    let data;
    if (i.dtype === DT.INT64) data = new BigInt64Array(n).fill(BigInt(Math.round(v)));
    else if (i.dtype === DT.FLOAT) data = new Float32Array(n).fill(v);
    else if (i.dtype === DT.DOUBLE) data = new Float64Array(n).fill(v);
    else if (i.dtype === DT.INT32) data = new Int32Array(n).fill(v);
    else if (i.dtype === DT.UINT8 || i.dtype === DT.BOOL) data = new Uint8Array(n).fill(v);
    else
      throw new UserError(`cannot fill input ${describeInput(i, shapes)} next to an image or WAV file`, {
        hint: "give the samples as .npz files holding every input",
      });
    s.set(i.name, { dtype: i.dtype, dims, data });
  }
}

export function checkSamples(
  sourced: Sourced[],
  inputs: ModelInput[],
  shapes: Map<string, number[]>,
  spec: string,
): void {
  if (sourced.length === 0)
    throw new UserError(`no samples found in ${spec}`, {
      hint: `put .png/.jpg, .wav, .npy, .npz, .pb or .json files there; the model expects ${expectedAll(inputs, shapes)}`,
    });
  for (const { sample, source } of sourced)
    for (const i of inputs) {
      const t = sample.get(i.name);
      const expected = `the model expects ${describeInput(i, shapes)}`;
      if (!t)
        throw new UserError(`${source} has no value for input "${i.name}"; ${expected}`, {
          hint: "name .npy files after the input, or use .npz/.json samples holding every input",
        });
      if (t.dtype !== i.dtype)
        throw new UserError(`${source}: input "${i.name}" is ${dtypeName(t.dtype)}; ${expected}`, {
          hint: `save it as ${dtypeName(i.dtype)} (e.g. numpy: x.astype(...))`,
        });
      const want = shapes.get(i.name) ?? i.dims;
      const bad =
        want &&
        (want.length !== t.dims.length ||
          want.some((d, k) => typeof d === "number" && Number(t.dims[k]) !== d));
      if (bad)
        throw new UserError(`${source}: input "${i.name}" has shape [${t.dims.join(",")}]; ${expected}`, {
          hint: "reshape or resize the sample to the input's shape (quantize.shapes sets symbolic dims)",
        });
    }
}
