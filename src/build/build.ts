/**
 * `mlpack build`: config → validate → quantize → bench gate → targets → push, in that printed order.
 * Every step's result is cached by content hashes, so a second build with no change reuses them. The
 * push comes last: a failed gate (exit 3) never leaves a pushed image behind. The manifest
 * (OUTPUT/mlpack-manifest.json) is written at the end, whether the build passed or failed, as the
 * record CI uploads.
 */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../config/load.js";
import { isMlpackError, EXIT, UsageError, UserError } from "../errors.js";
import { BuildCache, hashJson, listFiles } from "./cache.js";
import { stepLogger, type EmitFn } from "./events.js";
import type { BuildManifest, BuildOptions, BuildStep, StepContext, TargetName } from "./types.js";
import { validateStep } from "./steps/validate.js";
import { quantizeStep } from "./steps/quantize.js";
import { benchStep } from "./steps/bench.js";
import { TARGET_STEPS, pushStep } from "./steps/targets.js";
import { renderBuildSummary } from "./summary.js";
import { writeFileAtomic } from "../write-atomic.js";

const pkg = createRequire(import.meta.url)("../../package.json") as { version: string };
export const MANIFEST_NAME = "mlpack-manifest.json";
export const SUMMARY_NAME = "mlpack-summary.md";
const TARGET_ORDER: TargetName[] = ["tfjs", "lambda", "docker"];

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

export interface BuildResult {
  manifest: BuildManifest;
  manifestPath: string;
}

function plan(targets: TargetName[], push: boolean): BuildStep[] {
  const steps = [validateStep, quantizeStep, benchStep, ...targets.map((t) => TARGET_STEPS[t])];
  if (push) steps.push(pushStep);
  return steps;
}

/** The manifest and its Markdown summary (OUTPUT/mlpack-summary.md). */
function writeRecords(file: string, manifest: BuildManifest, benchMarkdown: string | undefined): void {
  writeFileAtomic(file, JSON.stringify(manifest, null, 2) + "\n");
  writeFileAtomic(path.join(path.dirname(file), SUMMARY_NAME), renderBuildSummary(manifest, benchMarkdown));
}

export async function build(opts: BuildOptions = {}): Promise<BuildResult> {
  const t0 = performance.now();
  const emit: EmitFn = opts.emit ?? (() => {});
  const { file, dir, config } = loadConfig(opts.config, opts.cwd);
  const configured = TARGET_ORDER.filter((t) => config.targets[t] !== undefined);
  for (const t of opts.targets ?? [])
    if (!configured.includes(t))
      throw new UsageError(`--target ${t}: the config has no targets.${t} section`, {
        hint: `configured targets: ${configured.join(", ") || "none"}`,
      });
  const targets = opts.targets ? configured.filter((t) => opts.targets!.includes(t)) : configured;
  const push = targets.includes("docker") && (opts.push ?? config.targets.docker?.push ?? false);

  if (push && !config.targets.docker?.tag)
    throw new UsageError(
      opts.push
        ? "--push needs targets.docker.tag: the reference to push to"
        : "targets.docker.push is on but targets.docker.tag is not set",
      { hint: "set targets.docker.tag, e.g. registry.example.com/team/model:1 (or build with --no-push)" },
    );
  const outDir = path.resolve(dir, config.output ?? "dist");
  const modelFile = path.resolve(dir, config.model);
  if (!fs.existsSync(modelFile))
    throw new UserError(`${file}: model ${config.model} not found (${modelFile})`, {
      hint: "model paths in the config are relative to the config file",
    });
  const name = config.name ?? path.basename(modelFile).replace(/\.onnx$/i, "");
  const version = config.version ?? "1";
  fs.mkdirSync(outDir, { recursive: true });
  // pipeline: the models and stages are composed first; the build then works on the composed model.
  const sourceModel = config.pipeline
    ? (await (await import("../compose/build-step.js")).composePipeline(config, file, outDir, name)).model
    : modelFile;
  const cache = new BuildCache(path.join(outDir, ".mlpack-cache"), !opts.noCache);
  const sourceSha256 = await cache.fileHash(sourceModel);
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
      sha256: sourceSha256,
      shipped: sourceModel,
    },
    steps: [],
    artifacts: [],
  };
  const steps = plan(targets, push);
  emit({ event: "start", config: file, steps: steps.map((s) => s.name) });
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
    mlpackVersion: await mlpackCodeId(cache),
  };
  let failure: unknown;
  try {
    for (const [i, step] of steps.entries()) {
      emit({ event: "step-start", step: step.name, index: i + 1, total: steps.length });
      const s0 = performance.now();
      ctx.log = stepLogger(step.name, emit);
      try {
        const r = await step.run(ctx);
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
    manifest.model.shippedSha256 = ctx.shippedSha256;
  } catch (e) {
    failure = e;
    manifest.status = "failed";
    manifest.error = {
      message: e instanceof Error ? e.message : String(e),
      exitCode: isMlpackError(e) ? e.exitCode : EXIT.internal,
    };
  }
  // The records and the cache are written for failed builds too: CI uploads the manifest either way.
  writeRecords(manifestPath, manifest, ctx.benchMarkdown);
  cache.save();
  emit({
    event: "done",
    status: manifest.status,
    ms: Math.round(performance.now() - t0),
    manifest: manifestPath,
    ...(manifest.error ? { error: manifest.error.message } : {}),
  });
  if (failure !== undefined) throw failure;
  return { manifest, manifestPath };
}
