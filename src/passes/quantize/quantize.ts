/**
 * `quantize`: read -> (calibrate) -> quantize pass -> validate for onnxruntime CPU -> accuracy report ->
 * write. The output is written (temp file, then rename) only when it validates and passes the gate.
 */
import os from "node:os";
import { REDUCE_RANGE_DEFAULT } from "./params.js";
import { readModel, readTensor, type LoadedModel } from "../../onnx/read.js";
import { checkOutputFile } from "../../write-atomic.js";
import { writeModel } from "../../onnx/write.js";
import { encodeModelProto, type ModelProto } from "../../onnx/proto.js";
import { Model, modelToProto } from "../../ir/graph.js";
import { allGraphs } from "../../ir/walk.js";
import { validateModelProto } from "../validate.js";
import { loadTarget } from "../../ops/support/targets.js";
import { loadSamples, parseShapes } from "../../data/samples.js";
import { openSession, runSample, type HostTensor, type Sample } from "../../runtime/ort.js";
import { quantizeDynamic } from "./dynamic.js";
import { quantizeQdq, tensorsToCalibrate } from "./static-qdq.js";
import { calibrate, type CalibrationMethod } from "./calibrate/collect.js";
import { accuracyDrop, compareOutputs, type OutputAccuracy } from "./accuracy.js";
import { checkOpsetRaise, withRaisedOpset } from "../opset-raise.js";
import type { LayerRecord, QuantizeMode, QuantizePassOptions } from "./types.js";
import { GateFailedError, UsageError, UserError } from "../../errors.js";
import { degenerateOutputs } from "./evidence.js";
import { findSensitiveLayers } from "./sensitive.js";
import { fewestToExclude, measureLayers, PER_LAYER_SAMPLES, type LayerEffect } from "./auto-exclude.js";
import type { SampleOptions } from "../../data/sample-options.js";
import { silentLogger, type Logger } from "../../log.js";

export interface QuantizeOptions extends Partial<Omit<QuantizePassOptions, "autoExcluded">> {
  mode?: QuantizeMode;
  /** Static mode: DIR_OR_FILE of samples, or random:N. */
  calibration?: string;
  method?: CalibrationMethod;
  /** Evaluation samples for the accuracy report (default: the calibration set, else random:8). */
  eval?: string;
  shapes?: string[];
  /** Also measure each quantized layer's effect on the outputs alone. */
  perLayer?: boolean;
  maxAccuracyDrop?: number;
  /** Keep the most sensitive layers in float until the drop fits maxAccuracyDrop. */
  autoExclude?: boolean;
  /**
   * Let --max-accuracy-drop gate on inputs that are not evidence (random, or the float model's outputs
   * degenerate on them). Off by default: such a gate fails with exit 3 and a hint to give real samples.
   */
  allowRandomGate?: boolean;
  /** How image and audio sample files become tensors. */
  samples?: SampleOptions;
  logger?: Logger;
}

export type { LayerEffect };

/** A layer feeding a numerically sensitive op (sensitive.ts), and what was done about it. */
export interface SensitiveLayer {
  node: string;
  feeds: string;
  keptFloat: boolean;
  /** Drop with only this layer quantized, when measured on real samples. */
  drop?: number;
}

/** Largest drop (quantized alone) for which a layer feeding a sensitive op counts as harmless. */
export const SENSITIVE_HARMLESS_DROP = 1e-3;

export interface QuantizeReport {
  schemaVersion: 1;
  input: string;
  output: string;
  mode: QuantizeMode;
  options: Record<string, unknown>;
  size: { before: number; after: number; ratio: number };
  ops: { before: Record<string, number>; after: Record<string, number> };
  layers: LayerRecord[];
  quantizedLayers: number;
  accuracy: {
    samples: number;
    randomInputs: boolean;
    outputs: OutputAccuracy[];
    drop: number;
    /** False when the figure says nothing about real inputs; `notEvidence` says why. */
    evidence: boolean;
    notEvidence: string[];
  };
  sensitive: SensitiveLayer[];
  perLayer?: LayerEffect[];
  autoExcluded?: string[];
  gate?: { maxAccuracyDrop: number; passed: boolean; allowRandomGate?: boolean };
  /** False when the gate failed and the output was not written. */
  written: boolean;
  warnings: string[];
  timings: Record<string, number>;
}

function opCounts(proto: ModelProto): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const g of allGraphs(new Model(proto).graph))
    for (const n of g.nodes) counts[n.opType] = (counts[n.opType] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1]));
}

function modelBytes(m: LoadedModel): number {
  return m.protoBytes + m.externalFiles.reduce((s, f) => s + f.bytes, 0);
}

async function runAll(
  model: ModelProto | string,
  samples: Sample[],
  onSample?: (done: number) => void,
): Promise<Map<string, HostTensor>[]> {
  const session = await openSession(typeof model === "string" ? model : encodeModelProto(model));
  try {
    const out: Map<string, HostTensor>[] = [];
    for (const s of samples) {
      out.push(await runSample(session, s));
      onSample?.(out.length);
    }
    return out;
  } finally {
    await session.release();
  }
}

export async function quantize(
  input: string,
  output: string,
  opts: QuantizeOptions = {},
): Promise<QuantizeReport> {
  const log = opts.logger ?? silentLogger;
  const mode = opts.mode ?? "dynamic";
  const timings: Record<string, number> = {};
  const warnings: string[] = [];
  const tick = (k: string, t0: number) => (timings[k] = Math.round(performance.now() - t0));
  const pass: QuantizePassOptions = {
    perChannel: opts.perChannel ?? false,
    // Weights-only models compute in float: nothing saturates, so they keep all 8 bits.
    reduceRange: opts.reduceRange ?? (mode !== "weights-only" && REDUCE_RANGE_DEFAULT),
    exclude: opts.exclude ?? [],
    include: opts.include ?? [],
    symmetricActivations: opts.symmetricActivations ?? false,
    weightType: opts.weightType ?? "int8",
  };
  if (mode === "static" && !opts.calibration) {
    throw new UsageError("--mode static needs --calibration DIR_OR_FILE (or random:N)", {
      hint: "point it at representative inputs, e.g. a folder of .npy or .pb files",
    });
  }
  if (opts.autoExclude && opts.maxAccuracyDrop === undefined)
    throw new UsageError("--auto-exclude needs --max-accuracy-drop");

  // A bad output path fails now, not after minutes of calibration.
  checkOutputFile(output, "quantized model");
  let t0 = performance.now();
  const loaded = await readModel(input);
  tick("read", t0);
  const read = (t: Parameters<typeof readTensor>[1]) => readTensor(loaded, t);
  const shapes = parseShapes(opts.shapes);

  let calib: Sample[] = [];
  let calibRandom = false;
  if (opts.calibration) {
    ({ samples: calib, random: calibRandom } = loadSamples(
      opts.calibration,
      loaded.proto,
      shapes,
      opts.samples,
    ));
    if (calibRandom)
      warnings.push(
        "calibrating on random data: activation ranges will not match real inputs, so accuracy will be poor; pass real samples",
      );
  }
  let evalSet: Sample[];
  let evalRandom: boolean;
  if (opts.eval)
    ({ samples: evalSet, random: evalRandom } = loadSamples(opts.eval, loaded.proto, shapes, opts.samples));
  else if (calib.length) [evalSet, evalRandom] = [calib, calibRandom];
  else ({ samples: evalSet, random: evalRandom } = loadSamples("random:8", loaded.proto, shapes));

  t0 = performance.now();
  const reference = await runAll(input, evalSet, (k) =>
    log.progress?.(k / evalSet.length, `float reference on ${evalSet.length} sample(s)`),
  );
  const evaluate = async (p: ModelProto) => compareOutputs(reference, await runAll(p, evalSet));
  const subset = evalSet.slice(0, PER_LAYER_SAMPLES);
  const evaluateSubset = async (p: ModelProto) =>
    compareOutputs(reference.slice(0, subset.length), await runAll(p, subset));
  tick("reference", t0);

  // A drop measured where the float model cannot tell inputs apart is not evidence; a gate on it
  // would certify anything, so it refuses (before any expensive step) unless the user opts in.
  const notEvidence = [
    ...(evalRandom ? [`the evaluation inputs are random (${evalSet.length} generated samples)`] : []),
    ...degenerateOutputs(reference).map((r) => `on these inputs the float model's ${r}`),
  ];
  const evidence = notEvidence.length === 0;
  if (!evidence) {
    warnings.push(`the accuracy figure is not evidence: ${notEvidence.join("; ")}`);
    if (opts.maxAccuracyDrop !== undefined && !opts.allowRandomGate)
      throw new GateFailedError(
        `the accuracy gate (max accuracy drop ${opts.maxAccuracyDrop}) cannot pass: ${notEvidence.join("; ")}, so a measured drop would not be evidence`,
        {
          hint: "give real inputs with --eval DIR (images, .wav, .npy/.npz/.pb/.json; quantize.eval in mlpack.yaml), or gate on these inputs anyway with --allow-random-gate (quantize.allowRandomGate: true)",
        },
      );
  }
  // Per-channel QDQ scales need opset 13. Raise older models when the schemas say nothing they use
  // changes meaning, and keep the raise only if the float model's outputs stay the same.
  let base = loaded.proto;
  const opset = new Model(base).opsets().get("") ?? 0;
  if (pass.perChannel && mode !== "dynamic" && opset >= 10 && opset < 13) {
    const check = checkOpsetRaise(new Model(base), 13);
    const raised = check.safe ? withRaisedOpset(base, 13, 7) : undefined;
    const same = raised && (await evaluate(raised)).every((o) => o.maxAbsError <= 1e-5);
    if (raised && same) {
      base = raised;
      warnings.push(
        `raised ai.onnx opset ${opset} -> 13 to express per-channel scales (no op the model uses changes meaning; the float outputs were checked to be unchanged)`,
      );
    } else {
      warnings.push(
        `per-channel scales need ai.onnx opset 13 and this opset-${opset} model cannot be raised safely (${check.blockers.join(", ") || "outputs changed"}); weights are quantized per tensor`,
      );
    }
  }

  let ranges = new Map<string, { rmin: number; rmax: number }>();
  if (mode === "static") {
    t0 = performance.now();
    const tensors = tensorsToCalibrate(new Model(base), pass);
    log.progress?.(undefined, `calibrating ${tensors.length} tensor(s) on ${calib.length} sample(s)`);
    ranges = await calibrate(base, tensors, calib, { method: opts.method ?? "minmax" });
    tick("calibrate", t0);
  }

  const build = (p: QuantizePassOptions): { proto: ModelProto; layers: LayerRecord[] } => {
    const model = new Model(base);
    const layers =
      mode === "dynamic"
        ? quantizeDynamic(model, read, p)
        : quantizeQdq(model, read, ranges, { ...p, activations: mode === "static" });
    // Only the main graph is rewritten; say so for weight-bearing nodes inside If/Loop/Scan bodies.
    for (const sg of allGraphs(model.graph).slice(1)) {
      for (const n of sg.nodes) {
        if (["Conv", "MatMul", "Gemm"].includes(n.opType))
          layers.push({
            node: n.name || n.outputs[0],
            opType: n.opType,
            status: "skipped",
            detail: `inside a subgraph (${sg.path()}): not quantized`,
          });
      }
    }
    return { proto: modelToProto(model), layers };
  };

  // Dynamic mode: layers feeding Log/Exp/Sqrt/... stay in float unless measured harmless on real samples.
  const sensitive: SensitiveLayer[] = [];
  t0 = performance.now();
  for (const [node, feeds] of findSensitiveLayers(new Model(base), read)) {
    const forced = pass.include.includes(node);
    if (mode !== "dynamic" || forced) {
      sensitive.push({ node, feeds, keptFloat: false });
      continue;
    }
    let drop: number | undefined;
    if (evidence) {
      log.progress?.(undefined, `measuring ${node} (feeds ${feeds.split(" ")[0]})`);
      drop = accuracyDrop(await evaluateSubset(build({ ...pass, include: [node] }).proto));
    }
    const keptFloat = drop === undefined || drop > SENSITIVE_HARMLESS_DROP;
    sensitive.push({ node, feeds, keptFloat, drop });
    if (keptFloat)
      pass.keptFloat = {
        ...pass.keptFloat,
        [node]: `kept in float: feeds ${feeds} (numerically sensitive); ${drop === undefined ? "not measured on real samples" : `drop ${drop.toFixed(5)} alone`}; --include ${node} forces it`,
      };
  }
  if (sensitive.some((l) => l.keptFloat))
    warnings.push(
      `${sensitive.filter((l) => l.keptFloat).length} layer(s) feeding numerically sensitive ops (Log, Exp, Sqrt, Div, Pow, Reciprocal) kept in float: int8 error there is amplified on real inputs${evidence ? "" : "; give real samples (--eval) to measure whether quantizing them is harmless"}`,
    );
  if (sensitive.length) tick("sensitive", t0);

  t0 = performance.now();
  let { proto, layers } = build(pass);
  tick("quantize", t0);

  t0 = performance.now();
  log.progress?.(undefined, `evaluating the int8 model on ${evalSet.length} sample(s)`);
  let outputs = await evaluate(proto);
  tick("evaluate", t0);

  // Per-layer analysis only when asked, or when the whole model misses the gate and auto-exclusion needs it.
  let perLayer: LayerEffect[] | undefined;
  let autoExcluded: string[] | undefined;
  const quantizedNames = () => layers.filter((l) => l.status === "quantized").map((l) => l.node);
  const misses = () => opts.maxAccuracyDrop !== undefined && accuracyDrop(outputs) > opts.maxAccuracyDrop;
  if (opts.perLayer || (opts.autoExclude && misses())) {
    t0 = performance.now();
    perLayer = await measureLayers(
      quantizedNames(),
      (name) => build({ ...pass, include: [name] }).proto,
      evaluateSubset,
      log,
    );
    tick("perLayer", t0);
  }
  if (opts.autoExclude && perLayer && misses()) {
    t0 = performance.now();
    const ranked = perLayer.map((l) => l.node);
    const tried = new Map<number, { proto: ModelProto; layers: LayerRecord[]; outputs: OutputAccuracy[] }>();
    const k = await fewestToExclude(
      ranked,
      opts.maxAccuracyDrop!,
      async (n) => {
        const b = build({ ...pass, autoExcluded: ranked.slice(0, n) });
        tried.set(n, { ...b, outputs: await evaluate(b.proto) });
        return accuracyDrop(tried.get(n)!.outputs);
      },
      log,
    );
    ({ proto, layers, outputs } = tried.get(k)!);
    autoExcluded = ranked.slice(0, k);
    tick("autoExclude", t0);
  }

  const target = await loadTarget("ort-cpu");
  const check = validateModelProto(proto, output, { target });
  if (!check.valid) {
    const first = check.diagnostics.find((d) => d.severity === "error")!;
    throw new UserError(`the quantized model would not run on onnxruntime CPU: ${first.message}`, {
      hint: `exclude that node with --exclude ${first.node?.name ?? "NODE"}`,
    });
  }

  const drop = accuracyDrop(outputs);
  const gate =
    opts.maxAccuracyDrop === undefined
      ? undefined
      : {
          maxAccuracyDrop: opts.maxAccuracyDrop,
          passed: drop <= opts.maxAccuracyDrop,
          ...(evidence ? {} : { allowRandomGate: true }),
        };
  const report: QuantizeReport = {
    schemaVersion: 1,
    input,
    output,
    mode,
    options: {
      ...pass,
      method: mode === "static" ? (opts.method ?? "minmax") : undefined,
      calibration: opts.calibration,
      eval: opts.eval,
      allowRandomGate: opts.allowRandomGate,
    },
    size: { before: modelBytes(loaded), after: 0, ratio: 0 },
    ops: { before: opCounts(loaded.proto), after: opCounts(proto) },
    layers,
    quantizedLayers: quantizedNames().length,
    accuracy: { samples: evalSet.length, randomInputs: evalRandom, outputs, drop, evidence, notEvidence },
    sensitive,
    perLayer,
    autoExcluded,
    gate,
    written: false,
    warnings,
    timings,
  };
  if (report.quantizedLayers === 0) warnings.push("no layer was quantized (see the skipped layers for why)");
  if (gate && !gate.passed) return report; // written stays false: a model that fails its gate is not emitted
  t0 = performance.now();
  const w = await writeModel(proto, output, { source: loaded.external && ((t) => loaded.external!.read(t)) });
  tick("write", t0);
  report.size.after = w.modelBytes + w.dataBytes;
  report.size.ratio = report.size.after / report.size.before;
  report.written = true;
  log.debug(`quantize timings: ${JSON.stringify(timings)} (tmp ${os.tmpdir()})`);
  return report;
}
