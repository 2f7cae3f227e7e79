/**
 * The one rollback rule, shared by the Argo Rollouts AnalysisTemplate that mlpack writes and by any
 * in-process canary: roll back when, over a window, the canary's error ratio exceeds the stable
 * version's by more than `maxErrorRatioIncrease` (absolute), or its p99 latency exceeds the stable
 * one's by more than the factor `maxP99Ratio`.
 */

export interface RollbackRule {
  maxErrorRatioIncrease: number;
  maxP99Ratio: number;
  /** The window each side is measured over, e.g. "2m". */
  window: string;
}

export const DEFAULT_RULE: RollbackRule = { maxErrorRatioIncrease: 0.01, maxP99Ratio: 1.2, window: "2m" };
export const DEFAULT_STEPS = [1, 10, 50, 100];
export const DEFAULT_PAUSE = "5m";

/** The metrics of `mlpack serve` the rule reads (GET /metrics). */
export const REQUESTS_METRIC = "mlpack_requests_total";
export const LATENCY_METRIC = "mlpack_request_duration_seconds";

export interface WindowStats {
  requests: number;
  errors: number;
  p99Seconds: number;
}

export interface RuleVerdict {
  rollback: boolean;
  reason?: string;
  errorRatioIncrease: number;
  p99Ratio: number;
}

/** The rule on two windows of counts (the in-process form of the PromQL below). */
export function judge(
  canary: WindowStats,
  stable: WindowStats,
  rule: RollbackRule = DEFAULT_RULE,
): RuleVerdict {
  const ratio = (w: WindowStats) => (w.requests > 0 ? w.errors / w.requests : 0);
  const errorRatioIncrease = ratio(canary) - ratio(stable);
  const p99Ratio = stable.p99Seconds > 0 && canary.requests > 0 ? canary.p99Seconds / stable.p99Seconds : 1;
  if (errorRatioIncrease > rule.maxErrorRatioIncrease)
    return {
      rollback: true,
      reason: `error ratio ${(ratio(canary) * 100).toFixed(2)}% vs stable ${(ratio(stable) * 100).toFixed(2)}% (allowed +${(rule.maxErrorRatioIncrease * 100).toFixed(2)} points)`,
      errorRatioIncrease,
      p99Ratio,
    };
  if (p99Ratio > rule.maxP99Ratio)
    return {
      rollback: true,
      reason: `p99 ${(canary.p99Seconds * 1000).toFixed(1)} ms is ${p99Ratio.toFixed(2)}x stable's ${(stable.p99Seconds * 1000).toFixed(1)} ms (allowed ${rule.maxP99Ratio}x)`,
      errorRatioIncrease,
      p99Ratio,
    };
  return { rollback: false, errorRatioIncrease, p99Ratio };
}

/**
 * PromQL for the two halves of the rule. `selector(which)` gives the label matchers of the canary or
 * stable pods (Argo: the pod-template-hash label that Prometheus copies from the pod).
 */
export function promQueries(selector: (which: "canary" | "stable") => string, window: string) {
  const errors = (w: "canary" | "stable") =>
    `(sum(rate(${REQUESTS_METRIC}{${selector(w)},code=~"5.."}[${window}])) or vector(0))`;
  const total = (w: "canary" | "stable") =>
    `clamp_min(sum(rate(${REQUESTS_METRIC}{${selector(w)}}[${window}])), 1e-9)`;
  const p99 = (w: "canary" | "stable") =>
    `histogram_quantile(0.99, sum by (le) (rate(${LATENCY_METRIC}_bucket{${selector(w)}}[${window}])))`;
  return {
    errorRatioIncrease: `${errors("canary")} / ${total("canary")} - ${errors("stable")} / ${total("stable")}`,
    p99Ratio: `${p99("canary")} / ${p99("stable")}`,
  };
}
