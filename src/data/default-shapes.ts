/**
 * Concrete shapes for inputs with symbolic dims, for `mlpack init` (pure). Each dim comes from, in
 * order: a fixed value in the model; a --shape given for the input; the value already chosen for the
 * same symbol on another input; a documented default:
 *   - axis 0 (the batch)                                   -> 1
 *   - height/width of an image-like input (rank 4 with 1 or 3 channels, NCHW or NHWC) -> 224
 *   - the last axis of a rank-2 input (samples or tokens)  -> 512 for float (32 ms of 16 kHz audio),
 *                                                             128 for integer (token ids)
 *   - any other axis (a batch inside a state tensor, ...)  -> 1
 * The caller runs the model once on these shapes, so a default the model rejects is caught at init.
 */
import { DT } from "../onnx/dtypes.js";
import { UserError } from "../errors.js";
import type { ModelInput } from "./samples.js";

export const DEFAULT_IMAGE_SIDE = 224;
export const DEFAULT_SEQUENCE = { float: 512, int: 128 };

export interface ChosenShape {
  name: string;
  dims: number[];
  /** Whether any dim was symbolic (so the config must state the shape). */
  symbolic: boolean;
  /** "--shape", "default" or "model". */
  source: "--shape" | "default" | "model";
}

const isImage = (dims: unknown[]) =>
  dims.length === 4 && (dims[1] === 1 || dims[1] === 3 || dims[3] === 1 || dims[3] === 3);

function defaultDim(input: ModelInput, axis: number): number {
  const dims = input.dims!;
  if (axis === 0) return 1;
  if (isImage(dims)) {
    const nchw = dims[1] === 1 || dims[1] === 3;
    if ((nchw && axis >= 2) || (!nchw && axis <= 2)) return DEFAULT_IMAGE_SIDE;
  }
  if (dims.length === 2 && axis === 1)
    return input.dtype === DT.FLOAT || input.dtype === DT.FLOAT16 || input.dtype === DT.DOUBLE
      ? DEFAULT_SEQUENCE.float
      : DEFAULT_SEQUENCE.int;
  return 1;
}

export function chooseShapes(inputs: ModelInput[], given: Map<string, number[]>): ChosenShape[] {
  const symbols = new Map<string, number>();
  const known = new Set(inputs.map((i) => i.name));
  for (const name of given.keys())
    if (!known.has(name))
      throw new UserError(`--shape ${name}=...: the model has no input "${name}"`, {
        hint: `its inputs: ${[...known].join(", ")}`,
      });
  // Given shapes first, so their symbols are known when the other inputs are resolved.
  for (const i of inputs) {
    const g = given.get(i.name);
    if (!g) continue;
    if (i.dims && g.length !== i.dims.length)
      throw new UserError(
        `--shape ${i.name}=${g.join(",")} has rank ${g.length}; the input has rank ${i.dims.length}`,
      );
    i.dims?.forEach((d, k) => {
      if (typeof d === "number" && d !== g[k])
        throw new UserError(`--shape ${i.name}=${g.join(",")}: axis ${k} is fixed to ${d} in the model`);
      if (typeof d === "string" && d) symbols.set(d, g[k]);
    });
  }
  return inputs.map((i) => {
    const g = given.get(i.name);
    if (g) return { name: i.name, dims: g, symbolic: true, source: "--shape" };
    if (!i.dims)
      throw new UserError(`input "${i.name}" has no shape in the model`, {
        hint: `give it with --shape ${i.name}=D1,D2,...`,
      });
    let symbolic = false;
    const dims = i.dims.map((d, k) => {
      if (typeof d === "number") return d;
      symbolic = true;
      if (typeof d === "string" && d && symbols.has(d)) return symbols.get(d)!;
      const v = defaultDim(i, k);
      if (typeof d === "string" && d) symbols.set(d, v);
      return v;
    });
    return { name: i.name, dims, symbolic, source: symbolic ? "default" : "model" };
  });
}

/**
 * A fixed value for inputs that random data cannot fill: an integer scalar named like a sample rate
 * (sr, sample_rate, sampling_rate) is 16000, the rate speech models such as silero VAD expect.
 */
export function fixedInputValue(name: string, dtype: number, dims: readonly number[]): number | undefined {
  const scalar = dims.reduce((a, b) => a * b, 1) === 1;
  const integer = ([DT.INT64, DT.INT32, DT.UINT32, DT.UINT64] as number[]).includes(dtype);
  if (scalar && integer && /^(sr|sample_?rate|sampling_?rate)$/i.test(name)) return 16000;
  return undefined;
}
