/** onnxruntime-node at the edge for bench: session options, device checks, feeds → ort.Tensor. */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import ort from "onnxruntime-node";
import { UsageError, UserError } from "../errors.js";
import type { InputData } from "./inputs.js";
import type { Device } from "./types.js";

export interface SessionConfig {
  device: Device;
  intraOpThreads?: number;
  interOpThreads?: number;
}

export const GRAPH_OPTIMIZATION_LEVEL = "all";

export function ortVersion(): string {
  return (ort.env as { versions?: { common?: string } }).versions?.common ?? "unknown";
}

export function executionProviders(device: Device): string[] {
  return device === "cuda" ? ["cuda"] : ["cpu"];
}

export function sessionOptions(cfg: SessionConfig): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: executionProviders(cfg.device),
    graphOptimizationLevel: GRAPH_OPTIMIZATION_LEVEL,
    logSeverityLevel: 3,
    ...(cfg.intraOpThreads ? { intraOpNumThreads: cfg.intraOpThreads } : {}),
    ...(cfg.interOpThreads ? { interOpNumThreads: cfg.interOpThreads } : {}),
  };
}

const CUDA_HINT =
  "install onnxruntime-node's CUDA build on a machine with an NVIDIA GPU, CUDA 12 and cuDNN 9: " +
  "`ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node` (or reinstall it with that variable set); " +
  "mlpack never falls back to the CPU silently, so use --device cpu to measure on the CPU";

/** The directory holding onnxruntime-node's native binding and provider libraries. */
function bindingDir(): string | undefined {
  try {
    const pkgDir = path.dirname(path.dirname(createRequire(import.meta.url).resolve("onnxruntime-node")));
    const napi = fs.readdirSync(path.join(pkgDir, "bin")).find((d) => d.startsWith("napi-v"));
    return napi ? path.join(pkgDir, "bin", napi, process.platform, process.arch) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Refuses --device cuda up front when onnxruntime-node has no CUDA provider library, with how to get
 * one (creating the session would fail anyway, after printing onnxruntime's own log noise).
 */
export function checkDevice(device: Device): void {
  if (device !== "cuda") return;
  const backends = (
    ort as unknown as { listSupportedBackends?: () => { name: string }[] }
  ).listSupportedBackends?.();
  if (backends && !backends.some((b) => b.name === "cuda"))
    throw new UsageError(
      `--device cuda: this onnxruntime-node (${ortVersion()}) was built without CUDA support`,
      {
        hint: CUDA_HINT,
      },
    );
  const dir = bindingDir();
  const lib =
    process.platform === "win32" ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so";
  if (dir && !fs.existsSync(path.join(dir, lib)))
    throw new UsageError(
      `--device cuda: onnxruntime-node ${ortVersion()} has no CUDA execution provider installed (${lib} is not in ${dir})`,
      { hint: CUDA_HINT },
    );
}

export async function createSession(
  model: string,
  cfg: SessionConfig,
): Promise<{ session: ort.InferenceSession; createMs: number }> {
  const t0 = process.hrtime.bigint();
  try {
    const session = await ort.InferenceSession.create(model, sessionOptions(cfg));
    return { session, createMs: Number(process.hrtime.bigint() - t0) / 1e6 };
  } catch (e) {
    const first = String((e as Error).message ?? e).split("\n")[0];
    if (cfg.device === "cuda")
      throw new UsageError(
        `--device cuda: onnxruntime could not create a CUDA session for ${model}: ${first}`,
        {
          hint: CUDA_HINT,
        },
      );
    throw new UserError(`onnxruntime could not load ${model}: ${first}`, {
      hint: "run `mlpack validate --target ort-cpu` on it to see which node is the problem",
    });
  }
}

export function toFeeds(inputs: readonly InputData[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const i of inputs) feeds[i.name] = new ort.Tensor(i.type as "float32", i.data as Float32Array, i.dims);
  return feeds;
}

/** onnxruntime's failure during a run, as a user error naming the model. */
export function inferenceError(e: unknown, label: string): UserError {
  return new UserError(`inference failed on ${label}: ${String((e as Error).message ?? e).split("\n")[0]}`, {
    hint: "check the input shapes (--batch, --shape) and types against `mlpack inspect`",
  });
}
