/**
 * What the bundle's demo page offers for each input and output, decided from the IO shapes alone
 * (ONNX order: the bundle keeps the ONNX layout at its boundary). Pure, so the page's behaviour on a
 * model is a unit-testable fact rather than guesswork in the browser.
 *
 * Inputs: a picture picker for image-shaped inputs (rank 4 with 1 or 3 channels first or last, or a
 * rank-3 HWC pixel input such as `mlpack compose --pre image:…` makes), random values otherwise.
 * Outputs: top-k for [batch, classes], a heatmap for one-channel maps ([N,1,H,W] or [N,H,W,1]), the raw
 * values otherwise.
 */
import type { Dim, TfDtype } from "../../convert/tfjs/types.js";

export interface DemoIo {
  name: string;
  dtype: TfDtype;
  shape: Dim[] | undefined | null;
}

export type ImageLayout = "NCHW" | "NHWC" | "HWC";

export type DemoInput =
  | {
      name: string;
      kind: "image";
      layout: ImageLayout;
      channels: 1 | 3;
      /** The size the picture is resized to; null: the picture's own size (a symbolic dim). */
      height: number | null;
      width: number | null;
      /** float32: (pixel / 255 - mean) / std; int32 (uint8 pixels in ONNX): the pixel values 0..255. */
      dtype: TfDtype;
    }
  | { name: string; kind: "random" };

export type DemoOutput =
  | { name: string; kind: "topk"; classes: number; k: number }
  | { name: string; kind: "heatmap"; layout: "NCHW" | "NHWC" }
  | { name: string; kind: "raw" };

export interface DemoPlan {
  inputs: DemoInput[];
  outputs: DemoOutput[];
}

/** Classes shown in a top-k list. */
export const TOP_K = 5;
/** Smallest side taken for a picture: below it a dim of 1 or 3 is more likely channels or features. */
const MIN_SIDE = 8;

const isChannels = (d: Dim | undefined): d is 1 | 3 => d === 1 || d === 3;
const side = (d: Dim | undefined): boolean => d === null || (typeof d === "number" && d >= MIN_SIDE);
const sizeOf = (d: Dim | undefined): number | null => (typeof d === "number" ? d : null);

function planInput(io: DemoIo, given: number[] | undefined): DemoInput {
  const s = io.shape;
  if (!s || io.dtype === "bool") return { name: io.name, kind: "random" };
  // Concrete sizes given for symbolic dims (--shape, bench.shapes) are what the page resizes to.
  const dims: Dim[] = given && given.length === s.length ? s.map((d, i) => d ?? given[i]) : s;
  const image = (layout: ImageLayout, c: 1 | 3, h: Dim, w: Dim): DemoInput => ({
    name: io.name,
    kind: "image",
    layout,
    channels: c,
    height: sizeOf(h),
    width: sizeOf(w),
    dtype: io.dtype,
  });
  // Channels first wins a tie ([1,3,3,3] is too small to be a picture anyway).
  if (dims.length === 4 && isChannels(dims[1]) && side(dims[2]) && side(dims[3]))
    return image("NCHW", dims[1], dims[2], dims[3]);
  if (dims.length === 4 && isChannels(dims[3]) && side(dims[1]) && side(dims[2]))
    return image("NHWC", dims[3], dims[1], dims[2]);
  // Pixels as decoded (HWC, no batch) only when they are integers: float [T,F,3] is more often a sequence.
  if (dims.length === 3 && io.dtype === "int32" && isChannels(dims[2]) && side(dims[0]) && side(dims[1]))
    return image("HWC", dims[2], dims[0], dims[1]);
  return { name: io.name, kind: "random" };
}

function planOutput(io: DemoIo): DemoOutput {
  const s = io.shape;
  if (!s || io.dtype !== "float32") return { name: io.name, kind: "raw" };
  const classes = s[1];
  if (s.length === 2 && typeof classes === "number" && classes >= 2)
    return { name: io.name, kind: "topk", classes, k: Math.min(TOP_K, classes) };
  const map = (a: Dim, b: Dim) => a !== 1 && b !== 1;
  if (s.length === 4 && s[1] === 1 && map(s[2], s[3]))
    return { name: io.name, kind: "heatmap", layout: "NCHW" };
  if (s.length === 4 && s[3] === 1 && s[1] !== 1 && map(s[1], s[2]))
    return { name: io.name, kind: "heatmap", layout: "NHWC" };
  return { name: io.name, kind: "raw" };
}

/** The demo page's plan for a converted model's inputs and outputs (`given`: sizes for symbolic dims). */
export function planDemo(
  inputs: readonly DemoIo[],
  outputs: readonly DemoIo[],
  given: Record<string, number[]> = {},
): DemoPlan {
  return {
    inputs: inputs.map((io) => planInput(io, given[io.name])),
    outputs: outputs.map(planOutput),
  };
}
