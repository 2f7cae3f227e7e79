/** How image and audio files become input tensors (the `quantize.samples` config block). */

export interface ImageSampleOptions {
  /** The model input the image feeds. Default: the only float input of rank 4. */
  input?: string;
  /** Tensor layout. Default: NCHW when axis 1 of the input is 1 or 3 channels, else NHWC. */
  layout?: "NCHW" | "NHWC";
  /** Channel order the model expects. Default RGB. */
  colorOrder?: "RGB" | "BGR";
  /** Pixels are divided by this before mean/std. Default 255 (values in 0..1). */
  scale?: number;
  /** Per-channel mean subtracted after scaling, in the model's channel order. Default [0, 0, 0]. */
  mean?: number[];
  /** Per-channel standard deviation divided by after the mean. Default [1, 1, 1]. */
  std?: number[];
}

export interface AudioSampleOptions {
  /** The model input the waveform feeds. Default: the only float input of rank 1 or 2. */
  input?: string;
  /**
   * Sample rate the model expects, in Hz. Default 16000. Files at another rate are resampled
   * (linear interpolation) when `resample` is true, else refused.
   * @minimum 1
   */
  sampleRate?: number;
  /** Resample files whose rate differs from sampleRate. Default false (refuse, naming the file). */
  resample?: boolean;
}

export interface SampleOptions {
  image?: ImageSampleOptions;
  audio?: AudioSampleOptions;
  /** Fixed values for inputs every sample shares (e.g. {"sr": 16000}), by input name. */
  values?: Record<string, number>;
}
