/**
 * The serve options of in-process rollouts (canary, shadow, rollback rule, admin endpoint): rows of the
 * one serve option table (options.ts spreads them into SERVE_OPTIONS). The rule's defaults are the
 * shared rule's (src/rollout/rule.ts), so `mlpack serve` rolls back exactly when Argo would.
 */
import { DEFAULT_RULE } from "../../rollout/rule.js";

export const ROLLOUT_OPTIONS = {
  canary: {
    key: "canary",
    kind: "list",
    valueName: "name@version=percent|path=percent",
    description:
      "send PERCENT of /v2/models/NAME/infer to a second version: a served version (name@version, also given with --model) or another model file (path.onnx, served as the next version); one per model",
  },
  shadow: {
    key: "shadow",
    kind: "list",
    valueName: "name@version|path",
    description:
      "mirror every request the stable version answers to a candidate (name@version or path.onnx), answer from stable, and record disagreement and latency in /metrics",
  },
  canaryMaxErrorIncrease: {
    key: "canary-max-error-increase",
    kind: "number",
    valueName: "ratio",
    description:
      "automatic rollback when the canary's 5xx ratio exceeds the stable version's by more than this (0.01 = 1 point) over --canary-window",
    min: 0,
    max: 1,
    default: DEFAULT_RULE.maxErrorRatioIncrease,
  },
  canaryMaxP99Ratio: {
    key: "canary-max-p99-ratio",
    kind: "number",
    valueName: "factor",
    description:
      "automatic rollback when the canary's p99 latency exceeds the stable version's times this over --canary-window (once both versions have 100 requests in it)",
    min: 1,
    max: 1_000_000,
    default: DEFAULT_RULE.maxP99Ratio,
  },
  canaryWindow: {
    key: "canary-window",
    kind: "duration",
    valueName: "duration",
    description: "the sliding window the rollback rule compares, e.g. 30s, 2m (seconds when a number)",
    default: DEFAULT_RULE.window,
  },
  canaryMinRequests: {
    key: "canary-min-requests",
    kind: "int",
    valueName: "n",
    description: "canary requests the window must hold before the rollback rule is applied",
    min: 1,
    max: 1_000_000,
    default: 20,
  },
  shadowTolerance: {
    key: "shadow-tolerance",
    kind: "number",
    valueName: "abs",
    description:
      "shadow outputs further than this (max absolute difference) from stable's count as a disagreement",
    min: 0,
    default: 1e-4,
  },
  adminPort: {
    key: "admin-port",
    kind: "int",
    valueName: "n",
    description:
      "serve the rollout admin endpoint (GET /admin/status, POST /admin/rollout, POST /admin/rollback) on this port (0 picks one; off when not given)",
    min: 0,
    max: 65535,
  },
  adminHost: {
    key: "admin-host",
    kind: "string",
    valueName: "host",
    description: "address the admin endpoint binds (loopback: only this machine may change weights)",
    default: "127.0.0.1",
  },
} as const;

/** "30s", "2m", "1h" or a number of seconds → seconds; throws on anything else. */
export function durationSeconds(raw: unknown): number {
  if (typeof raw === "number" && Number.isFinite(raw) && raw > 0) return raw;
  const m = typeof raw === "string" ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(raw) : null;
  const n = m ? Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] ?? "s"]! : NaN;
  if (!(n > 0)) throw new Error(`expected a duration such as 30s, 2m or 1h, got ${JSON.stringify(raw)}`);
  return n;
}

/** A duration in the form Prometheus and Argo take ("90s", "2m"). */
export function normalizeDuration(raw: unknown): string {
  const s = durationSeconds(raw);
  if (typeof raw === "string" && /^\s*\d+(ms|s|m|h)\s*$/.test(raw)) return raw.trim();
  return Number.isInteger(s) ? `${s}s` : `${Math.round(s * 1000)}ms`;
}
