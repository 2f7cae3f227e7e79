/**
 * Calibration: run the float model with the tensors to quantize added as graph outputs, and reduce
 * what they hold to a range per tensor (minmax; or a second pass filling histograms for percentile
 * and entropy).
 */
import { Model, modelToProto } from "../../../ir/graph.js";
import { encodeModelProto, type ModelProto } from "../../../onnx/proto.js";
import { makeValueInfo } from "../../../onnx/build.js";
import { DT } from "../../../onnx/dtypes.js";
import { openSession, runSample, type Sample } from "../../../runtime/ort.js";
import { Histogram, entropyThreshold, percentileRange, type Range } from "./histogram.js";

export type CalibrationMethod = "minmax" | "percentile" | "entropy";

export interface CalibrationOptions {
  method: CalibrationMethod;
  /** Percentile kept by the percentile method (default 99.999). */
  percentile?: number;
  bins?: number;
}

async function runWithOutputs(
  proto: ModelProto,
  tensors: string[],
  samples: Sample[],
  each: (name: string, data: Float32Array) => void,
): Promise<void> {
  const model = new Model(proto);
  const existing = new Set(model.graph.outputs.map((o) => o.name));
  for (const t of tensors) if (!existing.has(t)) model.graph.outputs.push(makeValueInfo(t, DT.FLOAT));
  const session = await openSession(encodeModelProto(modelToProto(model)), { optimization: "basic" });
  try {
    for (const s of samples) {
      const out = await runSample(session, s, tensors);
      for (const t of tensors) each(t, out.get(t)!.data as Float32Array);
    }
  } finally {
    await session.release();
  }
}

export async function calibrate(
  proto: ModelProto,
  tensors: string[],
  samples: Sample[],
  opts: CalibrationOptions,
): Promise<Map<string, Range>> {
  if (tensors.length === 0) return new Map();
  const lo = new Map<string, number>(tensors.map((t) => [t, Infinity]));
  const hi = new Map<string, number>(tensors.map((t) => [t, -Infinity]));
  await runWithOutputs(proto, tensors, samples, (name, data) => {
    let l = lo.get(name)!;
    let h = hi.get(name)!;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v < l) l = v;
      if (v > h) h = v;
    }
    lo.set(name, l);
    hi.set(name, h);
  });
  const minmax = new Map<string, Range>(
    tensors.map((t) => [t, { rmin: finite(lo.get(t)!), rmax: finite(hi.get(t)!) }]),
  );
  if (opts.method === "minmax") return minmax;

  const bins = opts.bins ?? 2048;
  const hists = new Map<string, Histogram>();
  for (const [t, r] of minmax) {
    // Entropy works on |x|; percentile on the signed values (its tails are cut separately).
    hists.set(
      t,
      opts.method === "entropy"
        ? new Histogram(0, Math.max(Math.abs(r.rmin), Math.abs(r.rmax)), bins)
        : new Histogram(r.rmin, r.rmax, bins),
    );
  }
  await runWithOutputs(proto, tensors, samples, (name, data) =>
    hists.get(name)!.add(data, opts.method === "entropy"),
  );
  const out = new Map<string, Range>();
  for (const [t, h] of hists) {
    const mm = minmax.get(t)!;
    if (opts.method === "percentile") out.set(t, percentileRange(h, opts.percentile ?? 99.999));
    else {
      const thr = entropyThreshold(h);
      // Non-negative tensors (after ReLU) keep their lower bound at 0 rather than wasting half the range.
      out.set(
        t,
        mm.rmin >= 0
          ? { rmin: 0, rmax: Math.min(thr, mm.rmax) }
          : { rmin: Math.max(-thr, mm.rmin), rmax: Math.min(thr, mm.rmax) },
      );
    }
  }
  return out;
}

function finite(x: number): number {
  return Number.isFinite(x) ? x : 0;
}
