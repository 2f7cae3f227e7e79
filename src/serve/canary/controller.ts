/**
 * In-process rollouts: per model, a stable version and one candidate, either a canary that gets a
 * weighted share of the unversioned requests or a shadow that gets a mirror of them. Weights change at
 * run time (admin endpoint, SIGHUP) between two picks, so no request is dropped; the automatic
 * rollback applies the shared rule (src/rollout/rule.ts) to sliding windows of each version's
 * requests, the same figures Argo's AnalysisTemplate reads from /metrics.
 */
import { UserError } from "../../errors.js";
import { silentLogger, type Logger } from "../../log.js";
import { judge, type RollbackRule } from "../../rollout/rule.js";
import { notFound } from "../errors.js";
import type { ModelInfo, TensorSpec } from "../model-info.js";
import type { ServeMetrics } from "../metrics.js";
import type { Tensor } from "../datatypes.js";
import { durationSeconds } from "./option-specs.js";
import { compareOutputs } from "./compare.js";
import { stableVersion, type CanarySpec, type RolloutOptions, type ShadowSpec } from "./spec.js";
import { WeightedSplit } from "./split.js";
import { RequestWindow } from "./window.js";

export type { RolloutOptions } from "./spec.js";

export type RollbackCause = "error_ratio" | "p99" | "admin" | "reload";

export interface RolloutStatus {
  model: string;
  mode: "canary" | "shadow";
  stable: string;
  candidate: string;
  /** Percent of unversioned requests the canary gets (0 for a shadow). */
  weight: number;
  rule: RollbackRule & { minRequests: number };
  window: { stable: WindowFigures; candidate: WindowFigures };
  lastRollback?: { cause: RollbackCause; reason: string; at: string };
}

type WindowFigures = { requests: number; errors: number; p99Ms: number };

interface Rollout {
  mode: "canary" | "shadow";
  stable: ModelInfo;
  candidate: ModelInfo;
  split: WeightedSplit;
  windows: { stable: RequestWindow; candidate: RequestWindow };
  lastJudged: number;
  lastRollback?: RolloutStatus["lastRollback"];
}

/** How often (at most) the p99 half of the rule is evaluated; errors are judged at once. */
const JUDGE_EVERY_MS = 250;
/** Requests each window needs before the p99 half of the rule applies. */
export const P99_MIN_REQUESTS = 100;

export class RolloutController {
  private readonly rollouts = new Map<string, Rollout>();
  readonly rule: RollbackRule;

  constructor(
    models: readonly ModelInfo[],
    private readonly opts: RolloutOptions,
    private readonly deps: { metrics: ServeMetrics; logger?: Logger; now?: () => number; clock?: () => Date },
  ) {
    this.rule = {
      maxErrorRatioIncrease: opts.canaryMaxErrorIncrease,
      maxP99Ratio: opts.canaryMaxP99Ratio,
      window: opts.canaryWindow,
    };
    const seconds = durationSeconds(opts.canaryWindow);
    const add = (mode: Rollout["mode"], spec: ShadowSpec, weight: number) => {
      const versions = models.filter((m) => m.name === spec.name);
      const stable = versions.find(
        (m) =>
          m.version ===
          stableVersion(
            versions.map((v) => v.version),
            spec.version,
          ),
      )!;
      const candidate = versions.find((m) => m.version === spec.version)!;
      checkSameSignature(stable, candidate, mode);
      this.rollouts.set(spec.name, {
        mode,
        stable,
        candidate,
        split: new WeightedSplit(weight),
        windows: {
          stable: new RequestWindow(seconds, deps.now),
          candidate: new RequestWindow(seconds, deps.now),
        },
        lastJudged: 0,
      });
      if (mode === "canary") deps.metrics.canaryWeight.set(labels(candidate), weight);
    };
    for (const c of opts.canary ?? []) add("canary", c, c.weight);
    for (const s of opts.shadow ?? []) add("shadow", s, 0);
  }

  /** name@version of every candidate: an unversioned request never resolves to one by itself. */
  get candidates(): Set<string> {
    return new Set([...this.rollouts.values()].map((r) => `${r.candidate.name}@${r.candidate.version}`));
  }

  /** The version an unversioned request to `name` goes to; undefined when the model has no canary. */
  pick(name: string): string | undefined {
    const r = this.rollouts.get(name);
    if (!r || r.mode !== "canary") return undefined;
    return (r.split.pickCanary() ? r.candidate : r.stable).version;
  }

  /** The shadow to mirror a request answered by `model` to, if `model` is a shadowed stable version. */
  shadowOf(model: ModelInfo): ModelInfo | undefined {
    const r = this.rollouts.get(model.name);
    return r?.mode === "shadow" && r.stable.version === model.version ? r.candidate : undefined;
  }

  /** One inference request's outcome, as counted in mlpack_requests_total and its latency histogram. */
  record(name: string, version: string, status: number, seconds: number): void {
    const r = this.rollouts.get(name);
    if (!r) return;
    const which =
      version === r.candidate.version ? "candidate" : version === r.stable.version ? "stable" : undefined;
    if (!which) return;
    r.windows[which].record(status, seconds);
    if (r.mode !== "canary" || r.split.canaryPercent <= 0) return;
    const now = (this.deps.now ?? (() => performance.now()))();
    if (status < 500 && now - r.lastJudged < JUDGE_EVERY_MS) return;
    r.lastJudged = now;
    const canary = r.windows.candidate.stats();
    if (canary.requests < this.opts.canaryMinRequests) return;
    const stable = r.windows.stable.stats();
    // A p99 of fewer than 100 requests is their maximum: one slow request would roll back a healthy
    // canary. Below that, only the error half of the rule applies (equal p99s make the ratio 1).
    if (canary.requests < P99_MIN_REQUESTS || stable.requests < P99_MIN_REQUESTS)
      canary.p99Seconds = stable.p99Seconds = 0;
    const verdict = judge(canary, stable, this.rule);
    if (verdict.rollback)
      this.rollback(
        name,
        verdict.errorRatioIncrease > this.rule.maxErrorRatioIncrease ? "error_ratio" : "p99",
        `over the last ${this.rule.window}, ${verdict.reason}`,
      );
  }

  /** A shadow's answer next to stable's: counted and compared, never seen by the client. */
  recordShadow(
    shadow: ModelInfo,
    stable: Record<string, Tensor> | undefined,
    result: { outputs: Record<string, Tensor>; seconds: number } | { error: string } | "skipped",
  ): void {
    const m = this.deps.metrics;
    const l = labels(shadow);
    if (result === "skipped") return m.shadowRequests.inc({ ...l, result: "skipped" });
    if ("error" in result) {
      this.deps.logger?.debug(`shadow ${shadow.name}@${shadow.version} failed: ${result.error}`);
      return m.shadowRequests.inc({ ...l, result: "error" });
    }
    m.shadowSeconds.observe(l, result.seconds);
    if (!stable) return m.shadowRequests.inc({ ...l, result: "stable_error" });
    const d = compareOutputs(stable, result.outputs, Object.keys(stable));
    m.shadowMaxAbsDiff.observe(l, d.maxAbsDiff);
    if (d.argmaxMismatch) m.shadowArgmaxMismatches.inc(l);
    const mismatch = d.argmaxMismatch || d.maxAbsDiff > this.opts.shadowTolerance;
    m.shadowRequests.inc({ ...l, result: mismatch ? "mismatch" : "match" });
  }

  /** Sets a canary's weight (0..100); from 0, the windows restart so old failures do not count again. */
  setWeight(name: string | undefined, weight: number, why = "admin"): RolloutStatus {
    const r = this.find(name, "canary");
    const before = r.split.canaryPercent;
    if (before === 0 && weight > 0) {
      r.windows.candidate.reset();
      r.windows.stable.reset();
    }
    r.split.canaryPercent = weight;
    this.deps.metrics.canaryWeight.set(labels(r.candidate), weight);
    if (before !== weight)
      (this.deps.logger ?? silentLogger).info(
        `rollout: model ${r.stable.name} version ${r.candidate.version} weight ${before}% → ${weight}% (${why})`,
      );
    return this.describe(r);
  }

  /** Weight 0 for the canary, at once; the next unversioned request goes to stable. */
  rollback(name: string | undefined, cause: RollbackCause, reason: string): RolloutStatus {
    const r = this.find(name, "canary");
    r.split.canaryPercent = 0;
    const m = this.deps.metrics;
    m.canaryWeight.set(labels(r.candidate), 0);
    m.rollbacks.inc({ ...labels(r.candidate), reason: cause });
    r.lastRollback = { cause, reason, at: (this.deps.clock ?? (() => new Date()))().toISOString() };
    (this.deps.logger ?? silentLogger).warn(
      `rollback: model ${r.stable.name} version ${r.candidate.version} → 0%, every request to version ${r.stable.version} (${cause}: ${reason})`,
    );
    return this.describe(r);
  }

  /**
   * SIGHUP: the weights of a re-read config. Only weights change at run time; a different candidate
   * model needs a restart (its sessions would have to be created in every worker). A canary that is
   * gone from the config is rolled back.
   */
  reload(canary: CanarySpec[]): { level: "info" | "warn"; text: string }[] {
    const out: { level: "info" | "warn"; text: string }[] = [];
    for (const [name, r] of this.rollouts) {
      if (r.mode !== "canary") continue;
      const spec = canary.find((c) => c.name === name);
      if (!spec) {
        if (r.split.canaryPercent > 0) this.rollback(name, "reload", "the canary is no longer in the config");
        out.push({ level: "info", text: `model ${name}: no canary in the config; weight 0` });
      } else if (spec.version !== r.candidate.version) {
        out.push({
          level: "warn",
          text: `model ${name}: the config's canary is version ${spec.version}, the running one ${r.candidate.version}; a new candidate model needs a restart (weight unchanged)`,
        });
      } else {
        this.setWeight(name, spec.weight, "SIGHUP reload");
        out.push({ level: "info", text: `model ${name}: canary version ${spec.version} at ${spec.weight}%` });
      }
    }
    for (const c of canary)
      if (this.rollouts.get(c.name)?.mode !== "canary")
        out.push({
          level: "warn",
          text: `model ${c.name}: a new canary (version ${c.version}) needs a restart`,
        });
    return out;
  }

  status(): RolloutStatus[] {
    return [...this.rollouts.values()].map((r) => this.describe(r));
  }

  private find(name: string | undefined, mode: "canary"): Rollout {
    const canaries = [...this.rollouts.entries()].filter(([, r]) => r.mode === mode);
    if (name === undefined) {
      if (canaries.length === 1) return canaries[0][1];
      throw notFound(
        canaries.length === 0
          ? "no canary is configured (start mlpack serve with --canary)"
          : `several models have a canary (${canaries.map(([n]) => `"${n}"`).join(", ")}); name one with "model"`,
      );
    }
    const r = this.rollouts.get(name);
    if (!r || r.mode !== mode)
      throw notFound(
        `model "${name}" has no canary (canaries: ${canaries.map(([n]) => `"${n}"`).join(", ") || "none"})`,
      );
    return r;
  }

  private describe(r: Rollout): RolloutStatus {
    const fig = (w: RequestWindow): WindowFigures => {
      const s = w.stats();
      return { requests: s.requests, errors: s.errors, p99Ms: Math.round(s.p99Seconds * 1e5) / 100 };
    };
    return {
      model: r.stable.name,
      mode: r.mode,
      stable: r.stable.version,
      candidate: r.candidate.version,
      weight: r.split.canaryPercent,
      rule: { ...this.rule, minRequests: this.opts.canaryMinRequests },
      window: { stable: fig(r.windows.stable), candidate: fig(r.windows.candidate) },
      ...(r.lastRollback ? { lastRollback: r.lastRollback } : {}),
    };
  }
}

const labels = (m: ModelInfo) => ({ model: m.name, version: m.version });

/** A candidate must take the same requests and give the same outputs as stable, or clients break. */
function checkSameSignature(stable: ModelInfo, cand: ModelInfo, mode: string): void {
  const show = (t: TensorSpec) =>
    `${t.name} ${t.datatype} [${t.shape?.map((d) => (typeof d === "number" ? d : (d ?? "?"))).join(",") ?? "any rank"}]`;
  const key = (t: TensorSpec) =>
    `${t.name} ${t.datatype} ${t.shape?.map((d) => (typeof d === "number" ? d : "*")).join(",") ?? "*"}`;
  const diff = (kind: string, a: TensorSpec[], b: TensorSpec[]) => {
    const bk = new Set(b.map(key));
    const ak = new Set(a.map(key));
    return [
      ...a
        .filter((t) => !bk.has(key(t)))
        .map((t) => `${kind} ${show(t)} of version ${stable.version} is not in the ${mode}`),
      ...b
        .filter((t) => !ak.has(key(t)))
        .map((t) => `the ${mode}'s ${kind} ${show(t)} is not in version ${stable.version}`),
    ];
  };
  const problems = [
    ...diff("input", stable.inputs, cand.inputs),
    ...diff("output", stable.outputs, cand.outputs),
  ];
  if (problems.length > 0)
    throw new UserError(
      `the ${mode} ${cand.path} (model "${cand.name}" version ${cand.version}) does not take the same inputs and outputs as version ${stable.version} (${stable.path}):\n  ${problems.join("\n  ")}`,
      {
        hint: `a ${mode} must be a drop-in replacement: the same input and output names, datatypes and fixed dims`,
      },
    );
}
