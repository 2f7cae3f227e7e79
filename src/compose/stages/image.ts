/**
 * The image pre-processing stage: uint8 HWC pixels (as decoded from a JPEG/PNG) -> float NCHW, with
 * an optional bilinear resize, a centre crop to the model's size and per-channel mean/std.
 *   out = (pixel / scale - mean[c]) / std[c], written as pixel * a[c] + b[c].
 */
import { UserError } from "../../errors.js";
import type { TensorProto } from "../../onnx/proto.js";
import {
  DT,
  floats,
  int64s,
  makeNode,
  makeValueInfo,
  sliceStatic,
  stageModel,
  unsqueeze,
  type Stage,
  type StageContext,
} from "./common.js";

export interface ImageOptions {
  height: number;
  width: number;
  /** Resize the whole image to this size first (bilinear, half-pixel centres). */
  resize?: [number, number];
  /** Fixed input size; otherwise the input's height and width are symbolic. */
  input?: [number, number];
  mean: number[];
  std: number[];
  scale: number;
  /** Reverse the channel order (RGB input, BGR model). */
  reverseChannels: boolean;
}

function size(spec: string, key: string, v: string): [number, number] {
  const m = /^(\d+)x(\d+)$/.exec(v);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1)
    throw new UserError(`stage ${spec}: ${key} must be HEIGHTxWIDTH, e.g. 224x224 (got "${v}")`, {
      hint: "sizes are positive whole numbers of pixels",
    });
  return [Number(m[1]), Number(m[2])];
}

function three(spec: string, key: string, v: string): number[] {
  const xs = v.split(",").map(Number);
  if (xs.length === 1 && Number.isFinite(xs[0])) return [xs[0], xs[0], xs[0]];
  if (xs.length !== 3 || !xs.every(Number.isFinite))
    throw new UserError(
      `stage ${spec}: ${key} must be one number or three (R,G,B), e.g. ${key}=0.485,0.456,0.406`,
      {
        hint: "separate the channel values with commas",
      },
    );
  return xs;
}

/** `image:HxW[:resize=HxW][:input=HxW][:mean=r,g,b][:std=r,g,b][:scale=S][:bgr]` */
export function parseImageOptions(spec: string, args: string[]): ImageOptions {
  if (args.length === 0)
    throw new UserError(`stage ${spec}: give the model's image size, e.g. image:224x224`, {
      hint: "image:HxW[:resize=HxW][:input=HxW][:mean=r,g,b][:std=r,g,b][:scale=255][:bgr]",
    });
  const [height, width] = size(spec, "the size", args[0]);
  const o: ImageOptions = {
    height,
    width,
    mean: [0, 0, 0],
    std: [1, 1, 1],
    scale: 255,
    reverseChannels: false,
  };
  for (const a of args.slice(1)) {
    const [k, v] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, ""];
    if (k === "resize") o.resize = size(spec, k, v);
    else if (k === "input") o.input = size(spec, k, v);
    else if (k === "mean") o.mean = three(spec, k, v);
    else if (k === "std") o.std = three(spec, k, v);
    else if (k === "scale") o.scale = Number(v);
    else if (k === "bgr" && v === "") o.reverseChannels = true;
    else
      throw new UserError(`stage ${spec}: unknown option "${a}"`, {
        hint: "options: resize=HxW, input=HxW, mean=r,g,b, std=r,g,b, scale=S, bgr",
      });
  }
  if (!(o.scale > 0) || o.std.some((s) => s === 0))
    throw new UserError(`stage ${spec}: scale and std must be non-zero`, {
      hint: "e.g. scale=255 std=0.229,0.224,0.225",
    });
  const source = o.resize ?? o.input;
  if (source && (source[0] < height || source[1] < width))
    throw new UserError(`stage ${spec}: cannot crop ${height}x${width} out of ${source[0]}x${source[1]}`, {
      hint: "resize to at least the model's size first",
    });
  return o;
}

export function imageStage(spec: string, o: ImageOptions): Stage {
  const source = o.resize ?? o.input;
  // Resize needs opset 11 (half_pixel); a crop of a variable-size image needs Slice with inputs (10).
  const crop = !source || source[0] !== o.height || source[1] !== o.width;
  const minOpset = o.resize ? 11 : crop && !source ? 10 : 7;
  return {
    kind: "pre",
    spec,
    name: "image",
    minOpset,
    port: "pixels",
    main: "pixels",
    build: (ctx) => buildImage(ctx, o, source, crop),
  };
}

function buildImage(ctx: StageContext, o: ImageOptions, source: [number, number] | undefined, crop: boolean) {
  const inits: TensorProto[] = [];
  const nodes = [makeNode("Cast", ["image"], ["image_f"], { to: { int: DT.FLOAT } })];
  let x = "image_f";
  if (o.reverseChannels) {
    inits.push(int64s("channel_order", [2, 1, 0]));
    nodes.push(makeNode("Gather", [x, "channel_order"], ["image_rev"], { axis: { int: 2 } }));
    x = "image_rev";
  }
  nodes.push(makeNode("Transpose", [x], ["chw"], { perm: { ints: [2, 0, 1] } }));
  nodes.push(unsqueeze(ctx, "chw", "nchw", [0], inits));
  x = "nchw";
  if (o.resize) {
    inits.push(floats("resize_roi", [0], []), floats("resize_scales", [0], []));
    inits.push(int64s("resize_sizes", [1, 3, o.resize[0], o.resize[1]]));
    nodes.push(
      makeNode("Resize", [x, "resize_roi", "resize_scales", "resize_sizes"], ["resized"], {
        mode: { string: "linear" },
        coordinate_transformation_mode: { string: "half_pixel" },
      }),
    );
    x = "resized";
  }
  if (crop && source) {
    const top = Math.floor((source[0] - o.height) / 2);
    const left = Math.floor((source[1] - o.width) / 2);
    nodes.push(sliceStatic(ctx, x, "cropped", [top, left], [top + o.height, left + o.width], [2, 3], inits));
    x = "cropped";
  } else if (crop) {
    // Offsets from the runtime size: ((h, w) - (H, W)) / 2, rounded down like the static case.
    inits.push(int64s("hw_axes", [2, 3]), int64s("crop_size", [o.height, o.width]), int64s("two", [2, 2]));
    nodes.push(
      makeNode("Shape", [x], ["nchw_shape"]),
      makeNode("Gather", ["nchw_shape", "hw_axes"], ["hw"], { axis: { int: 0 } }),
      makeNode("Sub", ["hw", "crop_size"], ["hw_extra"]),
      makeNode("Div", ["hw_extra", "two"], ["crop_starts"]),
      makeNode("Add", ["crop_starts", "crop_size"], ["crop_ends"]),
      makeNode("Slice", [x, "crop_starts", "crop_ends", "hw_axes"], ["cropped"]),
    );
    x = "cropped";
  }
  const a = o.std.map((s) => 1 / (o.scale * s));
  const b = o.mean.map((m, c) => -m / o.std[c]);
  inits.push(floats("norm_scale", [1, 3, 1, 1], a), floats("norm_shift", [1, 3, 1, 1], b));
  nodes.push(
    makeNode("Mul", [x, "norm_scale"], ["scaled"]),
    makeNode("Add", ["scaled", "norm_shift"], ["pixels"]),
  );
  const [ih, iw] = o.input ?? ["height", "width"];
  return stageModel(
    ctx,
    nodes,
    [makeValueInfo("image", DT.UINT8, [ih, iw, 3])],
    [makeValueInfo("pixels", DT.FLOAT, [1, 3, o.height, o.width])],
    inits,
  );
}
