/**
 * `mlpack build`: config → preflight → validate → quantize → bench gate → targets → push, in that
 * printed order.
 * Every step's result is cached by content hashes, so a second build with no change reuses them. The
 * push comes last: a failed gate (exit 3) never leaves a pushed image behind. The manifest
 * (OUTPUT/mlpack-manifest.json) is written at the end, whether the build passed or failed, as the
 * record CI uploads; its paths are relative to the output folder when they lie in the project.
 */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../config/load.js";
import { isMlpackError, EXIT, UsageError, UserError } from "../errors.js";
import { BuildCache, hashJson, listFiles } from "./cache.js";
import { stepLogger, type EmitFn } from "./events.js";
import type { BuildManifest, BuildOptions, BuildStep, StepContext } from "./types.js";
import { validateStep } from "./steps/validate.js";
import { quantizeStep } from "./steps/quantize.js";
import { benchStep } from "./steps/bench.js";
import { targetContext, targetStep } from "./steps/target-step.js";
import { preflightStep } from "./steps/preflight.js";
import { shipStep } from "./steps/ship.js";
import { getTarget, TARGET_NAMES } from "./targets/registry.js";
import { renderBuildSummary } from "./summary.js";
import { checkConfigFile, checkConfigOutputDir } from "../config/paths.js";
import { MAX_PROTO_BYTES } from "../onnx/read.js";
import { writeFileAtomic } from "../write-atomic.js";
import { relativizePaths } from "./paths.js";
import { withShapes } from "./shapes.js";

const pkg = createRequire(import.meta.url)("../../package.json") as { version: string };
export const MANIFEST_NAME = "mlpack-manifest.json";
export const SUMMARY_NAME = "mlpack-summary.md";

/**
 * What the cache keys call "this mlpack": its version plus a hash of its own compiled code and
 * templates, so a changed mlpack (a local build, a patched install) never reuses another's artifacts.
 */
async function mlpackCodeId(cache: BuildCache): Promise<string> {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const files = ["dist", "templates"]
    .map((d) => path.join(root, d))
    .filter((d) => fs.existsSync(d))
    .flatMap((d) => listFiles(d));
  const hashes = await Promise.all(files.map(async (f) => [path.relative(root, f), await cache.fileHash(f)]));
  return `${pkg.version}+${hashJson(hashes).slice(0, 12)}`;
}

/**
 * The source model's identity in cache keys: the .onnx file's sha256, combined with its external
 * data files' when it has any (a retrained model can change only its weights file). Which files a
 * model references is read once per .onnx content and kept in the cache.
 */
export async function modelId(cache: BuildCache, file: string, sha256: string): Promise<string> {
  let locations = cache.get<string[]>("model-files", sha256);
  try {
    if (!locations) {
      const { readModel } = await import("../onnx/read.js");
      locations = (await readModel(file)).externalFiles.map((f) => f.location).sort();
      cache.put("model-files", sha256, locations, []);
    }
    if (locations.length === 0) return sha256;
    const dir = path.dirname(file);
    return hashJson([
      sha256,
      ...(await Promise.all(locations.map((l) => cache.fileHash(path.resolve(dir, l))))),
    ]);
  } catch {
    // An unreadable model or a missing data file fails in validate, with its own message.
    return sha256;
  }
}

export interface BuildResult {
  manifest: BuildManifest;
  manifestPath: string;
}

/**
 * The preflight (every running step's cheap checks), the shared steps, then every registered target's
 * step, then the steps targets run after all artifacts exist (push). Each step's `applies` decides:
 * run, list as skipped, or leave out.
 */
function plan(ctx: StepContext): { step: BuildStep; skip?: string }[] {
  const all = [
    validateStep,
    quantizeStep,
    benchStep,
    shipStep,
    ...TARGET_NAMES.map(targetStep),
    ...ctx.targets.flatMap((t) => getTarget(t).after ?? []),
  ];
  const planned = all.flatMap((step) => {
    const a = step.applies?.(ctx) ?? true;
    // A target that is not chosen is not part of this build at all.
    if (a === false) return [];
    return [{ step, skip: a === true ? undefined : a }];
  });
  const running = planned.filter((p) => p.skip === undefined).map((p) => p.step);
  return [{ step: preflightStep(running) }, ...planned];
}

/** The manifest and its Markdown summary (OUTPUT/mlpack-summary.md). */
function writeRecords(file: string, manifest: BuildManifest, benchMarkdown: string | undefined): void {
  writeFileAtomic(file, JSON.stringify(manifest, null, 2) + "\n");
  writeFileAtomic(path.join(path.dirname(file), SUMMARY_NAME), renderBuildSummary(manifest, benchMarkdown));
}

export async function build(opts: BuildOptions = {}): Promise<BuildResult> {
  const t0 = performance.now();
  const emit: EmitFn = opts.emit ?? (() => {});
  const loaded = loadConfig(opts.config, opts.cwd);
  const { file, dir } = loaded;
  const config = withShapes(loaded.config, opts.shapes);
  const configured = TARGET_NAMES.filter((t) => config.targets[t] !== undefined);
  for (const t of opts.targets ?? [])
    if (!configured.includes(t))
      throw new UsageError(`--target ${t}: the config has no targets.${t} section`, {
        hint: `configured targets: ${configured.join(", ") || "none"}`,
      });
  const targets = opts.targets ? configured.filter((t) => opts.targets!.includes(t)) : configured;
  const outDir = path.resolve(dir, config.output ?? "dist");
  const modelFile = path.resolve(dir, config.model);
  if (!fs.existsSync(modelFile))
    throw new UserError(`${file}: model ${config.model} not found (${modelFile})`, {
      hint: "model paths in the config are relative to the config file",
    });
  checkConfigFile(file, "model", modelFile, "model", MAX_PROTO_BYTES);
  checkConfigOutputDir(file, "output", outDir);
  const name = config.name ?? path.basename(modelFile).replace(/\.onnx$/i, "");
  const version = config.version ?? "1";
  fs.mkdirSync(outDir, { recursive: true });
  // pipeline: the models and stages are composed first; the build then works on the composed model.
  const sourceModel = config.pipeline
    ? (await (await import("../compose/build-step.js")).composePipeline(config, file, outDir, name)).model
    : modelFile;
  // Paths in the cache and the manifest are relative to the output folder when in the project.
  const project = [dir, outDir];
  const cache = new BuildCache(path.join(outDir, ".mlpack-cache"), !opts.noCache, outDir, project);
  const fileSha256 = await cache.fileHash(sourceModel);
  const sourceSha256 = await modelId(cache, sourceModel, fileSha256);
  const manifestPath = path.join(outDir, MANIFEST_NAME);
  const manifest: BuildManifest = {
    schema: "mlpack-build-manifest",
    schemaVersion: 1,
    mlpackVersion: pkg.version,
    status: "ok",
    config: file,
    model: {
      name,
      version,
      source: sourceModel,
      sha256: fileSha256,
      shipped: sourceModel,
    },
    steps: [],
    artifacts: [],
  };
  const ctx: StepContext = {
    config,
    configFile: file,
    configDir: dir,
    outDir,
    name,
    version,
    sourceModel,
    sourceSha256,
    shippedModel: sourceModel,
    shippedSha256: sourceSha256,
    cache,
    targets,
    log: stepLogger("build", emit),
    options: opts,
    manifest,
    resolve: (p) => cache.resolve(p),
    mlpackVersion: await mlpackCodeId(cache),
  };
  for (const t of targets) getTarget(t).checkConfig?.(targetContext(ctx, t));
  const steps = plan(ctx);
  emit({ event: "start", config: file, steps: steps.map((s) => s.step.name) });
  let failure: unknown;
  try {
    for (const [i, { step, skip }] of steps.entries()) {
      emit({ event: "step-start", step: step.name, index: i + 1, total: steps.length });
      const s0 = performance.now();
      ctx.log = stepLogger(step.name, emit);
      try {
        const r = skip !== undefined ? { status: "skipped" as const, summary: skip } : await step.run(ctx);
        const ms = Math.round(performance.now() - s0);
        manifest.steps.push({ step: step.name, status: r.status, ms, summary: r.summary });
        emit({ event: "step-end", step: step.name, status: r.status, ms, summary: r.summary });
      } catch (e) {
        const ms = Math.round(performance.now() - s0);
        const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
        manifest.steps.push({ step: step.name, status: "failed", ms, summary: msg });
        emit({ event: "step-end", step: step.name, status: "failed", ms, summary: msg });
        throw e;
      }
    }
    manifest.model.shipped = ctx.shippedModel;
    // The record holds the shipped file's own sha256 (keys may hold its external data's too).
    manifest.model.shippedSha256 = ctx.shippedModel === sourceModel ? fileSha256 : ctx.shippedSha256;
  } catch (e) {
    failure = e;
    manifest.status = "failed";
    manifest.error = {
      message: e instanceof Error ? e.message : String(e),
      exitCode: isMlpackError(e) ? e.exitCode : EXIT.internal,
    };
  }
  // The records and the cache are written for failed builds too: CI uploads the manifest either way.
  const record = relativizePaths(manifest, outDir, project);
  writeRecords(manifestPath, record, ctx.benchMarkdown);
  cache.save();
  emit({
    event: "done",
    status: manifest.status,
    ms: Math.round(performance.now() - t0),
    manifest: manifestPath,
    ...(manifest.error ? { error: manifest.error.message } : {}),
  });
  if (failure !== undefined) throw failure;
  return { manifest: record, manifestPath };
}
