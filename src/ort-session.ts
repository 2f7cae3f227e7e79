/**
 * How mlpack opens an onnxruntime session for serving and batch prediction (serve's worker threads,
 * serve's HTTP thread, predict's workers): one call, so the three agree on threads, optimisation and
 * logging.
 */
import type ort from "onnxruntime-node";

/**
 * `intraOpThreads` undefined leaves onnxruntime's default. `spin: false` makes the intra-op pool
 * threads sleep after a run instead of spinning, for a session on a thread that has other work (the
 * HTTP thread).
 */
export function ortSessionOptions(
  intraOpThreads: number | undefined,
  opts: { spin?: boolean } = {},
): ort.InferenceSession.SessionOptions {
  return {
    ...(intraOpThreads ? { intraOpNumThreads: intraOpThreads } : {}),
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    logSeverityLevel: 4,
    ...(opts.spin === false ? { extra: { session: { intra_op: { allow_spinning: "0" } } } } : {}),
  };
}

/** The first line of an error's message (onnxruntime's carry a stack-like tail). */
export function errorLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split("\n")[0];
}
