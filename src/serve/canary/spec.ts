/**
 * `--canary` and `--shadow` values: parsed per source (paths relative to a config file's folder), then
 * resolved against the served models once every source is merged. A candidate given as a file is
 * served as the next version of the (only) model; one given as name@version must be served already.
 */
import path from "node:path";
import type { ModelSpec } from "../options.js";

/** A candidate as written: a served version, or a model file. */
export type CandidateRef = { name: string; version: string } | { path: string };

export interface CanaryArg {
  ref: CandidateRef;
  /** Percent of the model's unversioned requests, 0..100. */
  weight: number;
}

/** A candidate resolved to a served version. */
export interface CanarySpec {
  name: string;
  version: string;
  weight: number;
}

export interface ShadowSpec {
  name: string;
  version: string;
}

const VERSIONED = /^([A-Za-z0-9_.-]+)@([A-Za-z0-9_.-]+)$/;

function parseRef(s: string, baseDir?: string): CandidateRef {
  if (s === "") throw new Error("the candidate is empty (name@version or path.onnx)");
  const m = VERSIONED.exec(s);
  // A path has a separator or the .onnx suffix; "m@2" names a served version.
  if (m && !/\.onnx$/i.test(s)) return { name: m[1], version: m[2] };
  return { path: baseDir ? path.resolve(baseDir, s) : s };
}

/** "name@version=10" or "candidate.onnx=10". */
/** The in-process rollout options (flags and config keys: option-specs.ts); part of ServeOptions. */
export interface RolloutOptions {
  canary?: CanarySpec[];
  shadow?: ShadowSpec[];
  canaryMaxErrorIncrease: number;
  canaryMaxP99Ratio: number;
  /** As Prometheus writes it ("2m"). */
  canaryWindow: string;
  canaryMinRequests: number;
  shadowTolerance: number;
}

export function parseCanaryArg(raw: unknown, baseDir?: string): CanaryArg {
  if (typeof raw !== "string")
    throw new Error(`expected "name@version=PERCENT" or "path.onnx=PERCENT", got ${JSON.stringify(raw)}`);
  const eq = raw.lastIndexOf("=");
  if (eq < 0)
    throw new Error(
      `"${raw}" has no weight: write name@version=PERCENT or path.onnx=PERCENT (e.g. candidate.onnx=10)`,
    );
  return { ref: parseRef(raw.slice(0, eq), baseDir), weight: parseWeight(raw.slice(eq + 1)) };
}

export function parseShadowArg(raw: unknown, baseDir?: string): CandidateRef {
  if (typeof raw !== "string")
    throw new Error(`expected "name@version" or "path.onnx", got ${JSON.stringify(raw)}`);
  return parseRef(raw, baseDir);
}

/** A percentage of traffic: a number from 0 to 100. */
export function parseWeight(raw: unknown): number {
  const n = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : typeof raw === "number" ? raw : NaN;
  if (!Number.isFinite(n))
    throw new Error(`the weight ${JSON.stringify(raw)} is not a number (a percentage from 0 to 100)`);
  if (n < 0 || n > 100)
    throw new Error(`the weight ${n} is out of range: a canary gets from 0 to 100 percent of the requests`);
  return n;
}

const compare = (a: string, b: string) => {
  const [x, y] = [Number(a), Number(b)];
  return Number.isFinite(x) && Number.isFinite(y) ? x - y : a < b ? -1 : a > b ? 1 : 0;
};

/**
 * Candidates against the models: adds the models of file candidates, checks that each names a served
 * version with a stable version beside it, one candidate per model. Problems are returned, not thrown.
 */
export function resolveCandidates(
  models: ModelSpec[],
  canary: CanaryArg[],
  shadow: CandidateRef[],
): { models: ModelSpec[]; canary: CanarySpec[]; shadow: ShadowSpec[]; problems: string[] } {
  const out = [...models];
  const problems: string[] = [];
  const taken = new Map<string, string>();
  const resolve = (ref: CandidateRef, flag: string): ShadowSpec | undefined => {
    const names = [...new Set(models.map((m) => m.name))];
    let spec: ShadowSpec;
    if ("path" in ref) {
      if (names.length !== 1) {
        problems.push(
          `--${flag} ${ref.path}: ${names.length} models are served, so the file's model is unclear; serve it as a version (--model NAME@2=${ref.path}) and write --${flag} NAME@2`,
        );
        return undefined;
      }
      const versions = out.filter((m) => m.name === names[0]).map((m) => m.version);
      const numeric = versions.every((v) => /^\d+$/.test(v));
      const version = numeric ? String(Math.max(...versions.map(Number)) + 1) : flag;
      out.push({ name: names[0], version, path: ref.path });
      spec = { name: names[0], version };
    } else {
      const versions = models.filter((m) => m.name === ref.name).map((m) => m.version);
      if (versions.length === 0) {
        problems.push(
          `--${flag} ${ref.name}@${ref.version}: no model "${ref.name}" is served (serving ${names.map((n) => `"${n}"`).join(", ")})`,
        );
        return undefined;
      }
      if (!versions.includes(ref.version)) {
        problems.push(
          `--${flag} ${ref.name}@${ref.version}: model "${ref.name}" has no version "${ref.version}" (versions: ${versions.join(", ")}); serve it with --model ${ref.name}@${ref.version}=path.onnx`,
        );
        return undefined;
      }
      if (versions.length < 2) {
        problems.push(
          `--${flag} ${ref.name}@${ref.version}: it is the only version of "${ref.name}", so there is no stable version to compare with; serve the stable one too (--model ${ref.name}@1=stable.onnx)`,
        );
        return undefined;
      }
      spec = { name: ref.name, version: ref.version };
    }
    const before = taken.get(spec.name);
    if (before) {
      problems.push(
        `--${flag}: model "${spec.name}" already has a candidate (${before}); one canary or shadow per model`,
      );
      return undefined;
    }
    taken.set(spec.name, `--${flag} ${spec.name}@${spec.version}`);
    return spec;
  };
  const canaries: CanarySpec[] = [];
  for (const c of canary) {
    const s = resolve(c.ref, "canary");
    if (s) canaries.push({ ...s, weight: c.weight });
  }
  const shadows: ShadowSpec[] = [];
  for (const ref of shadow) {
    const s = resolve(ref, "shadow");
    if (s) shadows.push(s);
  }
  return { models: out, canary: canaries, shadow: shadows, problems };
}

/** The stable version of a model with a candidate: its highest version other than the candidate's. */
export function stableVersion(versions: string[], candidate: string): string {
  return versions.filter((v) => v !== candidate).reduce((a, b) => (compare(b, a) > 0 ? b : a));
}
