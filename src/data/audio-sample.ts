/**
 * WAV files -> waveform input tensors: decoded with wavefile (pure JS, synchronous; PCM 8/16/24/32-bit
 * and float 32/64), scaled to [-1, 1], mono only, at the model's sample rate (a different rate is
 * refused unless resampling is asked for). A file longer than one input window gives several samples
 * (up to MAX_WINDOWS_PER_FILE windows spread over the file); a shorter one is zero-padded.
 */
import wavefile from "wavefile";
import { DT } from "../onnx/dtypes.js";
import { UserError } from "../errors.js";
import type { HostTensor } from "../runtime/ort.js";
import type { AudioSampleOptions } from "./sample-options.js";

export const MAX_WINDOWS_PER_FILE = 16;

export interface Waveform {
  sampleRate: number;
  channels: number;
  /** Channel 0 (or the only channel) scaled to [-1, 1]. */
  samples: Float32Array;
}

const { WaveFile } = wavefile as unknown as { WaveFile: typeof wavefile.WaveFile };

export function decodeWav(bytes: Uint8Array, file: string): Waveform {
  let wav: InstanceType<typeof WaveFile>;
  try {
    wav = new WaveFile(bytes);
  } catch (e) {
    throw new UserError(`${file}: not a readable WAV file (${(e as Error).message})`, {
      hint: "give a RIFF/WAVE file with PCM (8/16/24/32-bit) or float (32/64-bit) samples",
    });
  }
  const fmt = wav.fmt as { numChannels: number; sampleRate: number };
  const depth = wav.bitDepth;
  if (!/^(8|16|24|32|32f|64)$/.test(depth))
    throw new UserError(`${file}: WAV encoding "${depth}" (${wav.container}) is not supported`, {
      hint: "convert it to PCM 16-bit or float 32-bit, e.g. ffmpeg -i in.wav -c:a pcm_s16le out.wav",
    });
  let raw = wav.getSamples(false, Float64Array) as unknown as Float64Array | Float64Array[];
  if (Array.isArray(raw)) raw = raw[0];
  const float = depth === "32f" || depth === "64";
  const bits = Number(depth);
  const samples = Float32Array.from(raw, (v) =>
    float ? v : bits === 8 ? (v - 128) / 128 : v / 2 ** (bits - 1),
  );
  return { sampleRate: fmt.sampleRate, channels: fmt.numChannels, samples };
}

function resampleLinear(x: Float32Array, from: number, to: number): Float32Array {
  const n = Math.max(1, Math.round((x.length * to) / from));
  return Float32Array.from({ length: n }, (_, i) => {
    const t = (i * from) / to;
    const i0 = Math.min(Math.floor(t), x.length - 1);
    const i1 = Math.min(i0 + 1, x.length - 1);
    return x[i0] + (x[i1] - x[i0]) * (t - i0);
  });
}

/** Waveform windows for an input of dims [N, L] or [L] (float). */
export function wavToTensors(
  wav: Waveform,
  dims: number[],
  dtype: number,
  o: AudioSampleOptions,
  file: string,
  inputName: string,
): HostTensor[] {
  const rate = o.sampleRate ?? 16000;
  const expected = `input "${inputName}" [${dims.join(",")}], mono at ${rate} Hz`;
  if (dtype !== DT.FLOAT && dtype !== DT.DOUBLE)
    throw new UserError(`${file}: ${expected} is not a float input, so a WAV file cannot feed it`, {
      hint: "give .npy/.npz samples of the input's type instead",
    });
  if (wav.channels !== 1)
    throw new UserError(`${file}: ${wav.channels} channels; ${expected} takes mono audio`, {
      hint: "mix it down, e.g. ffmpeg -i in.wav -ac 1 out.wav",
    });
  let x = wav.samples;
  if (wav.sampleRate !== rate) {
    if (!o.resample)
      throw new UserError(`${file}: sample rate ${wav.sampleRate} Hz; ${expected}`, {
        hint: `resample it (ffmpeg -i in.wav -ar ${rate} out.wav), set quantize.samples.audio.resample: true, or set quantize.samples.audio.sampleRate if the model expects ${wav.sampleRate} Hz`,
      });
    x = resampleLinear(x, wav.sampleRate, rate);
  }
  const batch = dims.length >= 2 ? dims[0] : 1;
  const win = dims.slice(dims.length >= 2 ? 1 : 0).reduce((a, b) => a * b, 1);
  const count = Math.max(1, Math.min(MAX_WINDOWS_PER_FILE, Math.floor(x.length / win)));
  const out: HostTensor[] = [];
  for (let k = 0; k < count; k++) {
    const start = count === 1 ? 0 : Math.round((k * (x.length - win)) / (count - 1));
    const one = new Float32Array(win);
    one.set(x.subarray(start, start + win));
    const data = dtype === DT.FLOAT ? new Float32Array(batch * win) : new Float64Array(batch * win);
    for (let b = 0; b < batch; b++) data.set(one, b * win);
    out.push({ dtype, dims, data });
  }
  return out;
}
