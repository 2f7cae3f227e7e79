/**
 * Measures one model, or two interleaved: reads the models, makes the inputs, creates the sessions
 * (main thread for concurrency 1, worker threads otherwise), and measures every (batch, concurrency).
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { readModel } from "../onnx/read.js";
import { dtypeName } from "../onnx/dtypes.js";
import { UsageError } from "../errors.js";
import { collectFingerprint, type Fingerprint } from "./fingerprint.js";
import {
  checkShapeNames,
  hasSymbolicBatch,
  modelInputs,
  randomFeeds,
  resolveShape,
  type InputData,
  type InputSpec,
} from "./inputs.js";
import { loadInputFiles } from "./input-files.js";
import { LocalExecutor, type Executor } from "./executor.js";
import { PoolExecutor } from "./executor-pool.js";
import { measureConfig, planRounds, type MeasureOptions } from "./measure.js";
import { toMeasurement } from "./summarize.js";
import {
  checkDevice,
  executionProviders,
  GRAPH_OPTIMIZATION_LEVEL,
  ortVersion,
  type SessionConfig,
} from "./session.js";
import type { BenchOptions, BenchReport, Measurement, ModelInfo, SampleSpec, WarmupSpec } from "./types.js";

export interface RunDeps {
  /** Progress lines ("measuring batch 8, concurrency 2 ..."); never the results. */
  progress?: (msg: string) => void;
  /**
   * The share of the whole measurement done (0..1): configurations done plus the current one's
   * sampling (warm-up counts as none), reported each time it moves by a percent.
   */
  onFraction?: (fraction: number) => void;
  fingerprint?: () => Fingerprint;
  now?: () => Date;
}

export const DEFAULT_SAMPLE: SampleSpec = { kind: "duration", ms: 2000 };

const mlpackVersion = (): string => {
  try {
    return (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
  } catch {
    return "unknown";
  }
};

export function describeWarmup(w: WarmupSpec): string {
  return w.kind === "auto" ? "auto" : w.kind === "calls" ? `${w.calls} calls` : `${w.ms / 1000}s`;
}

export function describeSample(s: SampleSpec): string {
  return s.kind === "iterations" ? `${s.count} inferences` : `${s.ms / 1000}s`;
}

interface LoadedBenchModel {
  info: Omit<ModelInfo, "sessionCreateMs">;
  specs: InputSpec[];
}

async function loadBenchModel(
  file: string,
  role: ModelInfo["role"],
  label: string,
): Promise<LoadedBenchModel> {
  const model = await readModel(file);
  const specs = modelInputs(model.proto);
  const bytes = fs.readFileSync(file);
  return {
    specs,
    info: {
      role,
      label,
      path: file,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      bytes: bytes.length,
      inputs: specs.map((s) => ({ name: s.name, dtype: dtypeName(s.elemType), shape: s.shape })),
    },
  };
}

/** Labels that tell the two models apart in tables, even when they are the same file. */
function labels(candidate: string, baseline?: string): { candidate: string; baseline?: string } {
  if (baseline === undefined) return { candidate: path.basename(candidate) };
  const [a, b] = [path.basename(baseline), path.basename(candidate)];
  if (a !== b) return { baseline: a, candidate: b };
  if (path.resolve(baseline) !== path.resolve(candidate)) return { baseline, candidate };
  return { baseline: `${a} (A)`, candidate: `${b} (B)` };
}

export async function runBench(opts: BenchOptions, deps: RunDeps = {}): Promise<BenchReport> {
  const device = opts.device ?? "cpu";
  checkDevice(device);
  const warmup = opts.warmup ?? { kind: "auto" };
  const sample = opts.sample ?? DEFAULT_SAMPLE;
  const shapes = opts.shapes ?? {};
  const rounds = planRounds(sample, opts.rounds);
  const concurrency = opts.concurrency ?? [1];
  const warnings: string[] = [];
  const fingerprint = (deps.fingerprint ?? collectFingerprint)();

  const names = labels(opts.model, opts.baselineModel);
  const models: LoadedBenchModel[] = [];
  if (opts.baselineModel !== undefined)
    models.push(await loadBenchModel(opts.baselineModel, "baseline", names.baseline!));
  models.push(await loadBenchModel(opts.model, "candidate", names.candidate));

  checkShapeNames(
    models.map((m) => ({ file: m.info.path, specs: m.specs })),
    shapes,
  );
  const fromFiles = opts.inputs !== undefined && opts.inputs !== "random";
  const symbolicBatch = models.some((m) => hasSymbolicBatch(m.specs, shapes));
  if (opts.batches && (fromFiles || !symbolicBatch))
    throw new UsageError(
      fromFiles
        ? "--batch cannot be used with --inputs DIR: the files fix the input shapes"
        : `--batch: no input of ${opts.model} has a symbolic first dimension (${models
            .at(-1)!
            .info.inputs.map((i) => `${i.name} [${(i.shape ?? []).join(", ")}]`)
            .join("; ")})`,
      {
        hint: fromFiles ? "drop --batch, or use --inputs random" : "drop --batch, or set shapes with --shape",
      },
    );
  const feedsFor = (batch: number): InputData[][] =>
    models.map((m) =>
      fromFiles ? loadInputFiles(opts.inputs!, m.specs) : randomFeeds(m.specs, batch, shapes),
    );
  const fixedBatch = () => {
    const first = feedsFor(1)[models.length - 1][0];
    return first && first.dims.length > 0 ? first.dims[0] : 1;
  };
  const batches = opts.batches ?? (symbolicBatch && !fromFiles ? [1] : [fixedBatch()]);
  // Shapes are checked before any session is created, so a missing --shape fails fast.
  if (!fromFiles) for (const m of models) for (const s of m.specs) resolveShape(s, batches[0], shapes);

  const cores = fingerprint.availableParallelism;
  const intra = opts.intraOpThreads ?? fingerprint.physicalCores ?? cores;
  for (const c of concurrency)
    if (c * intra > cores)
      warnings.push(
        `concurrency ${c} × ${intra} intra-op thread${intra > 1 ? "s" : ""}${opts.intraOpThreads ? "" : " (onnxruntime's default)"} = ${c * intra} threads on ${cores} cores: workers will compete for cores; set --threads 1,1 to measure throughput scaling`,
      );

  const cfg: SessionConfig = {
    device,
    intraOpThreads: opts.intraOpThreads,
    interOpThreads: opts.interOpThreads,
  };
  const measureOpts: MeasureOptions = { warmup, sample, rounds, windowMs: opts.windowMs ?? 100 };
  const paths = models.map((m) => m.info.path);
  const createMs: (number | undefined)[] = models.map(() => undefined);
  const results: Measurement[] = [];
  const configs = concurrency.length * batches.length;
  let configsDone = 0;
  for (const c of concurrency) {
    deps.progress?.(
      `creating ${c === 1 ? "sessions" : `${c} workers`} for ${models.map((m) => m.info.label).join(" and ")}`,
    );
    const ex: Executor =
      c === 1 ? await LocalExecutor.create(paths, cfg) : await PoolExecutor.create(paths, cfg, c);
    ex.createMs.forEach((ms, i) => (createMs[i] ??= ms));
    try {
      for (const batch of batches) {
        deps.progress?.(`measuring batch ${batch}, concurrency ${c}`);
        deps.onFraction?.(configsDone / configs);
        await ex.setFeeds(feedsFor(batch));
        let shown = Math.floor((configsDone / configs) * 100);
        const onRound = (f: number) => {
          const percent = Math.floor(((configsDone + f) / configs) * 100);
          if (percent !== shown) deps.onFraction?.(percent / 100);
          shown = percent;
        };
        const raws = await measureConfig(ex, models.length, { ...measureOpts, onRound });
        configsDone++;
        raws.forEach((raw, i) => {
          const m = models[i].info;
          results.push(
            toMeasurement(
              raw,
              { role: m.role, model: m.label, batch, concurrency: c },
              { resamples: opts.resamples },
            ),
          );
          if (!raw.warmup.stable)
            warnings.push(
              `${m.label} (batch ${batch}, concurrency ${c}): warm-up did not stabilise (last window medians ${raw.warmup.windowMedians
                .slice(-3)
                .map((x) => x.toFixed(3))
                .join(", ")} ms); the machine may be busy`,
            );
          if (raw.roundSizes.length < 10)
            warnings.push(
              `${m.label} (batch ${batch}, concurrency ${c}): only ${raw.roundSizes.length} rounds; confidence intervals are weak`,
            );
        });
      }
    } finally {
      await ex.close();
    }
  }

  return {
    schema: "mlpack-bench",
    schemaVersion: 1,
    createdAt: (deps.now ?? (() => new Date()))().toISOString(),
    runtime: {
      mlpack: mlpackVersion(),
      onnxruntime: ortVersion(),
      node: process.version,
      device,
      executionProviders: executionProviders(device),
      intraOpThreads: opts.intraOpThreads ?? null,
      interOpThreads: opts.interOpThreads ?? null,
      graphOptimizationLevel: GRAPH_OPTIMIZATION_LEVEL,
    },
    fingerprint,
    settings: {
      warmup: describeWarmup(warmup),
      sample: describeSample(sample),
      inputs: fromFiles ? opts.inputs! : "random",
      shapes,
      rounds,
      interleaved: models.length > 1,
    },
    models: models.map((m, i) => ({
      ...m.info,
      sessionCreateMs: Math.round((createMs[i] ?? NaN) * 1000) / 1000,
    })),
    results,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    warnings,
  };
}
