/**
 * PNG/JPEG files -> an image input tensor: decoded to RGBA (pngjs, jpeg-js: pure JS, synchronous, no
 * native binary to fetch), stretched to the input's height x width (bilinear, half-pixel centres),
 * channels in the declared colour order (or luma for 1 channel), (pixel / scale - mean) / std, laid
 * out NCHW or NHWC. A batch dimension above 1 repeats the image.
 */
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { DT } from "../onnx/dtypes.js";
import { UserError } from "../errors.js";
import type { HostTensor } from "../runtime/ort.js";
import type { ImageSampleOptions } from "./sample-options.js";

export interface Rgba {
  width: number;
  height: number;
  /** width * height * 4 bytes, row-major. */
  data: Uint8Array;
}

export function decodeImage(bytes: Uint8Array, file: string): Rgba {
  const png = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const jpg = bytes[0] === 0xff && bytes[1] === 0xd8;
  try {
    if (png) {
      const img = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: img.width, height: img.height, data: new Uint8Array(img.data) };
    }
    if (jpg) {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
      return { width: img.width, height: img.height, data: img.data };
    }
  } catch (e) {
    throw new UserError(`${file}: not a readable ${png ? "PNG" : "JPEG"} image (${(e as Error).message})`, {
      hint: "re-save it as a baseline PNG or JPEG, or remove it from the samples folder",
    });
  }
  throw new UserError(`${file}: not a PNG or JPEG image (its first bytes are neither signature)`, {
    hint: "re-save it as PNG or JPEG, or remove it from the samples folder",
  });
}

/** Bilinear sample of channel `c` at output pixel (x, y) of an outW x outH resize (half-pixel centres). */
function resizer(img: Rgba, outW: number, outH: number) {
  const sx = img.width / outW;
  const sy = img.height / outH;
  return (x: number, y: number, c: number): number => {
    const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
    const x0 = Math.floor(fx);
    const y0 = Math.floor(fy);
    const x1 = Math.min(x0 + 1, img.width - 1);
    const y1 = Math.min(y0 + 1, img.height - 1);
    const ax = fx - x0;
    const ay = fy - y0;
    const at = (xx: number, yy: number) => img.data[(yy * img.width + xx) * 4 + c];
    const top = at(x0, y0) * (1 - ax) + at(x1, y0) * ax;
    const bottom = at(x0, y1) * (1 - ax) + at(x1, y1) * ax;
    return top * (1 - ay) + bottom * ay;
  };
}

export function imageLayout(dims: readonly number[], o: ImageSampleOptions): "NCHW" | "NHWC" {
  if (o.layout) return o.layout;
  return dims[1] === 1 || dims[1] === 3 ? "NCHW" : "NHWC";
}

/** The tensor for input dims [N, C, H, W] (NCHW) or [N, H, W, C] (NHWC). */
export function imageToTensor(
  img: Rgba,
  dims: number[],
  dtype: number,
  o: ImageSampleOptions,
  file: string,
  inputName: string,
): HostTensor {
  const layout = imageLayout(dims, o);
  const [n, c, h, w] = layout === "NCHW" ? dims : [dims[0], dims[3], dims[1], dims[2]];
  const expected = `input "${inputName}" [${dims.join(",")}] (${layout}, 1 or 3 channels)`;
  if (dims.length !== 4 || (c !== 1 && c !== 3))
    throw new UserError(`${file}: an image cannot feed ${expected}`, {
      hint: "set quantize.samples.image.layout (NCHW/NHWC) and .input, or give .npy samples for this input",
    });
  if (dtype !== DT.FLOAT && dtype !== DT.UINT8)
    throw new UserError(`${file}: input "${inputName}" is not float32 or uint8, so an image cannot feed it`, {
      hint: "give .npy/.npz samples of the input's type instead",
    });
  const bgr = (o.colorOrder ?? "RGB") === "BGR";
  const scale = o.scale ?? 255;
  const mean = o.mean ?? [0, 0, 0];
  const std = o.std ?? [1, 1, 1];
  const at = resizer(img, w, h);
  const plane = h * w;
  const one = dtype === DT.FLOAT ? new Float32Array(c * plane) : new Uint8Array(c * plane);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const rgb = [at(x, y, 0), at(x, y, 1), at(x, y, 2)];
      for (let k = 0; k < c; k++) {
        const raw = c === 1 ? 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] : rgb[bgr ? 2 - k : k];
        const v = dtype === DT.FLOAT ? (raw / scale - (mean[k] ?? 0)) / (std[k] ?? 1) : Math.round(raw);
        one[layout === "NCHW" ? k * plane + y * w + x : (y * w + x) * c + k] = v;
      }
    }
  const data = dtype === DT.FLOAT ? new Float32Array(n * one.length) : new Uint8Array(n * one.length);
  for (let b = 0; b < n; b++) data.set(one, b * one.length);
  return { dtype, dims, data };
}
