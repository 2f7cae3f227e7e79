/**
 * Every `mlpack serve` option, declared once: its flag, kind, bounds, default and help. Derived from
 * this table: the CLI's flags (cli/commands/serve.ts), `mlpack serve --config`'s reader
 * (config-file.ts), and mlpack.yaml's `server:` section, its type, JSON Schema and build-time checks
 * (option-schema.ts).
 */
import path from "node:path";
import { UsageError, UserError } from "../errors.js";
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "./serve-log.js";
import { normalizeDuration, ROLLOUT_OPTIONS } from "./canary/option-specs.js";
import {
  parseCanaryArg,
  parseShadowArg,
  resolveCandidates,
  type CanaryArg,
  type CandidateRef,
  type RolloutOptions,
} from "./canary/spec.js";

/** Size units for --max-body (powers of 1024). */
const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

export interface ModelSpec {
  /** URL-safe name used in /v2/models/{name}. */
  name: string;
  /** OIP versions are strings; "1" when not given. */
  version: string;
  path: string;
}

/** Resolved options: what the library functions take. */
export interface ServeOptions extends RolloutOptions {
  models: ModelSpec[];
  host: string;
  port: number;
  /** gRPC (OIP v2) port; no gRPC server when absent. */
  grpcPort?: number;
  workers: number;
  intraOpThreads: number;
  maxBatchSize: number;
  maxQueueDelayMs: number;
  inlineMaxMs: number;
  maxQueue: number;
  cacheSize: number;
  maxBody: number;
  shutdownTimeoutMs: number;
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  maxConnections: number;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** The admin endpoint's port; none when undefined. */
  adminPort?: number;
  adminHost: string;
}

/** "list": a repeatable flag, or a string or array of strings in a config file. */
type Kind = "models" | "string" | "int" | "number" | "bytes" | "enum" | "list" | "duration";

export interface OptionSpec {
  /** Flag and config-file key (kebab-case). */
  key: string;
  kind: Kind;
  valueName: string;
  description: string;
  min?: number;
  max?: number;
  /** Undefined when the default is computed (intra-op threads); sizes as text ("16mb"). */
  default?: string | number;
  /** The allowed values of an "enum" option. */
  choices?: readonly string[];
}

export const SERVE_OPTIONS = {
  models: {
    key: "model",
    kind: "models",
    valueName: "[name[@version]=]path",
    description:
      "model to serve; repeat for several (name defaults to the file's basename without .onnx and .int8, version to 1)",
  },
  host: {
    key: "host",
    kind: "string",
    valueName: "host",
    description: "address to bind",
    default: "127.0.0.1",
  },
  port: {
    key: "port",
    kind: "int",
    valueName: "n",
    description: "TCP port (0 picks a free one; the bound address is printed)",
    min: 0,
    max: 65535,
    default: 8080,
  },
  workers: {
    key: "workers",
    kind: "int",
    valueName: "n",
    description: "worker threads, each with one onnxruntime session per model",
    min: 1,
    max: 256,
    default: 1,
  },
  intraOpThreads: {
    key: "intra-op-threads",
    kind: "int",
    valueName: "n",
    description:
      "onnxruntime threads per session (default: (cores - 1) / workers, at least 1: a core stays free for the HTTP thread)",
    min: 1,
    max: 256,
  },
  maxBatchSize: {
    key: "max-batch-size",
    kind: "int",
    valueName: "rows",
    description: "dynamic batching: most rows per batch for models with a batch dimension (1 turns it off)",
    min: 1,
    max: 65536,
    default: 32,
  },
  maxQueueDelayMs: {
    key: "max-queue-delay-ms",
    kind: "number",
    valueName: "ms",
    description: "dynamic batching: longest a request waits for others to fill its batch",
    min: 0,
    max: 60_000,
    default: 2,
  },
  inlineMaxMs: {
    key: "inline-max-ms",
    kind: "number",
    valueName: "ms",
    description:
      "run a model on the HTTP thread itself, without the hop to a worker, when a full batch of it computes in under this time at start-up (no Loop/Scan, fixed non-batch dims); 0 turns it off",
    min: 0,
    max: 100,
    default: 1,
  },
  maxQueue: {
    key: "max-queue",
    kind: "int",
    valueName: "n",
    description: "requests waiting per model before new ones get 503 (back-pressure)",
    min: 1,
    max: 1_000_000,
    default: 512,
  },
  cacheSize: {
    key: "cache-size",
    kind: "int",
    valueName: "n",
    description: "response cache entries, LRU keyed by a hash of the inputs (0 turns it off)",
    min: 0,
    max: 10_000_000,
    default: 0,
  },
  maxBody: {
    key: "max-body",
    kind: "bytes",
    valueName: "size",
    description: "largest request body, e.g. 512kb, 16mb (larger ones get 413)",
    min: 1,
    default: "16mb",
  },
  shutdownTimeoutMs: {
    key: "shutdown-timeout-ms",
    kind: "int",
    valueName: "ms",
    description: "on SIGTERM, how long to wait for in-flight requests before giving up",
    min: 0,
    max: 3_600_000,
    default: 30_000,
  },
  requestTimeoutMs: {
    key: "request-timeout-ms",
    kind: "int",
    valueName: "ms",
    description:
      "compute deadline per run: past it the request gets 504 and its worker is replaced (0 turns it off)",
    min: 0,
    max: 3_600_000,
    default: 60_000,
  },
  headersTimeoutMs: {
    key: "headers-timeout-ms",
    kind: "int",
    valueName: "ms",
    description: "longest a client may take to send the request headers (then 408 and close)",
    min: 100,
    max: 3_600_000,
    default: 10_000,
  },
  bodyTimeoutMs: {
    key: "body-timeout-ms",
    kind: "int",
    valueName: "ms",
    description: "longest a client may take to send the whole request, body included (then 408 and close)",
    min: 100,
    max: 3_600_000,
    default: 30_000,
  },
  maxConnections: {
    key: "max-connections",
    kind: "int",
    valueName: "n",
    description: "open connections at most; more are refused at once",
    min: 1,
    max: 1_000_000,
    default: 1024,
  },
  logLevel: {
    key: "log-level",
    kind: "enum",
    valueName: "level",
    description:
      "least severe log line written: debug (also health, metadata and /metrics requests), info (inference requests), warn, error",
    choices: LOG_LEVELS,
    default: "info",
  },
  logFormat: {
    key: "log-format",
    kind: "enum",
    valueName: "format",
    description: "text, or json (one JSON object a line, for log collectors)",
    choices: LOG_FORMATS,
    default: "text",
  },
  ...ROLLOUT_OPTIONS,
  grpcPort: {
    key: "grpc-port",
    kind: "int",
    valueName: "n",
    description:
      "also serve the Open Inference Protocol v2 over gRPC on this port (off unless given; 0 picks a free one)",
    min: 0,
    max: 65535,
  },
} as const satisfies Record<keyof ServeOptions, OptionSpec>;

export type ServeOptionKey = keyof typeof SERVE_OPTIONS;

/** The defaults, from the table (intra-op threads depend on the cores: defaultIntraOpThreads). */
export const SERVE_DEFAULTS = Object.fromEntries(
  (Object.entries(SERVE_OPTIONS) as [ServeOptionKey, OptionSpec][])
    .filter(([, spec]) => spec.default !== undefined)
    .map(([k, spec]) => [k, spec.kind === "bytes" ? parseBytes(spec.default) : spec.default]),
) as Omit<ServeOptions, "models" | "intraOpThreads" | "canary" | "shadow" | "adminPort">;

/** Raw values by option: strings from flags, JSON values from a config file. */
export type RawServeOptions = Partial<Record<ServeOptionKey, unknown>>;

export interface OptionSource {
  values: RawServeOptions;
  /** "flag" names problems `--max-batch-size`; a file names them `config.json: "max-batch-size"`. */
  kind: "flag" | "file";
  /** The file, for messages; model paths in it are relative to its directory. */
  file?: string;
}

export interface ResolvedServeOptions {
  options: ServeOptions;
  warnings: string[];
}

/**
 * Merges flags over a config file over defaults, checking every value; all problems are reported at
 * once. Flag problems are usage errors (exit 2), config-file problems user errors (exit 1).
 */
export function resolveServeOptions(
  sources: OptionSource[],
  env: { cpuCount: number },
): ResolvedServeOptions {
  const problems: { source: OptionSource; msg: string }[] = [];
  const merged: Partial<ServeOptions> = {};
  const models: ModelSpec[] = [];
  let canary: CanaryArg[] = [];
  let shadow: CandidateRef[] = [];
  let candidateSource: OptionSource = { kind: "flag", values: {} };
  // Later sources win; models accumulate from the highest-priority source that gives any.
  for (const source of sources) {
    const label = (key: string) => (source.kind === "flag" ? `--${key}` : `${source.file}: "${key}"`);
    const sourceModels: ModelSpec[] = [];
    const baseDir = source.file ? path.dirname(source.file) : undefined;
    for (const [k, raw] of Object.entries(source.values) as [ServeOptionKey, unknown][]) {
      if (raw === undefined) continue;
      const spec: OptionSpec = SERVE_OPTIONS[k];
      try {
        if (spec.kind === "models") {
          const list = Array.isArray(raw) ? raw : [raw];
          if (list.length === 0) throw new Error("needs at least one model");
          list.forEach((m) => sourceModels.push(parseModelSpec(m, baseDir)));
        } else if (k === "canary") {
          canary = (Array.isArray(raw) ? raw : [raw]).map((c) => parseCanaryArg(c, baseDir));
          candidateSource = source;
        } else if (k === "shadow") {
          shadow = (Array.isArray(raw) ? raw : [raw]).map((c) => parseShadowArg(c, baseDir));
          candidateSource = source;
        } else {
          (merged as Record<string, unknown>)[k] = parseOptionValue(spec, raw, source.kind);
        }
      } catch (e) {
        problems.push({ source, msg: `${label(spec.key)}: ${(e as Error).message}` });
      }
    }
    if (sourceModels.length > 0) models.splice(0, models.length, ...sourceModels);
  }
  if (models.length === 0 && problems.length === 0)
    problems.push({
      source: { kind: "flag", values: {} },
      msg: 'no model to serve: pass --model path/to/model.onnx (or "model" in --config)',
    });
  const candidates = resolveCandidates(models, canary, shadow);
  models.splice(0, models.length, ...candidates.models);
  for (const msg of candidates.problems) problems.push({ source: candidateSource, msg });
  const seen = new Set<string>();
  for (const m of models) {
    const id = `${m.name}@${m.version}`;
    if (seen.has(id))
      problems.push({
        source: { kind: "flag", values: {} },
        msg: `model "${m.name}" version ${m.version} is given twice (name them apart: --model other=path.onnx)`,
      });
    seen.add(id);
  }
  if (problems.length > 0) {
    const message =
      problems.length === 1
        ? problems[0].msg
        : `${problems.length} problems with the serve options:\n  ${problems.map((p) => p.msg).join("\n  ")}`;
    const hint = "run `mlpack serve --help` for the options and their ranges";
    throw problems.some((p) => p.source.kind === "file")
      ? new UserError(message, { hint })
      : new UsageError(message, { hint });
  }
  const workers = merged.workers ?? SERVE_DEFAULTS.workers;
  const options: ServeOptions = {
    ...SERVE_DEFAULTS,
    ...merged,
    models,
    canary: candidates.canary,
    shadow: candidates.shadow,
    intraOpThreads: merged.intraOpThreads ?? defaultIntraOpThreads(env.cpuCount, workers),
  };
  const warnings: string[] = [];
  if (options.workers * options.intraOpThreads > env.cpuCount)
    warnings.push(
      `${options.workers} workers × ${options.intraOpThreads} intra-op threads = ${options.workers * options.intraOpThreads} threads on ${env.cpuCount} cores: they will compete; lower --workers or --intra-op-threads`,
    );
  return { options, warnings };
}

/**
 * One core stays free for the HTTP thread (parsing and encoding JSON): measured with
 * scripts/bench-serve.mjs on 2 cores, 1 thread gave 1.6x the rows/s of 2 threads at 64 connections,
 * and the same at 1 connection.
 */
export function defaultIntraOpThreads(cpuCount: number, workers: number): number {
  return Math.max(1, Math.floor((cpuCount - 1) / workers));
}

const NAME_RE = /^[A-Za-z0-9_.-]+$/;

/** `path.onnx`, `name=path.onnx`, `name@2=path.onnx`, or (config files) `{name?, version?, path}`. */
export function parseModelSpec(raw: unknown, baseDir?: string): ModelSpec {
  let name: string | undefined;
  let version: string | undefined;
  let file: string;
  if (typeof raw === "string") {
    const m = /^([^=@/\\]+)(?:@([^=/\\]+))?=(.+)$/.exec(raw);
    if (m) [name, version, file] = [m[1], m[2], m[3]];
    else file = raw;
  } else if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) {
    const o = raw as Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => !["name", "version", "path"].includes(k));
    if (unknown.length)
      throw new Error(`unknown key "${unknown[0]}" in a model entry (use name, version, path)`);
    if (typeof o.path !== "string") throw new Error(`a model entry needs "path" (a string)`);
    if (o.name !== undefined && typeof o.name !== "string") throw new Error(`"name" must be a string`);
    if (o.version !== undefined && typeof o.version !== "string" && typeof o.version !== "number")
      throw new Error(`"version" must be a string or a number`);
    [name, version, file] = [o.name as string | undefined, o.version?.toString(), o.path];
  } else {
    throw new Error(`expected "path.onnx", "name=path.onnx" or {"name", "path"}, got ${JSON.stringify(raw)}`);
  }
  if (file === "") throw new Error("the model path is empty");
  // `mlpack build` writes NAME.int8.onnx; the image and the Lambda serve it as NAME, and so does this.
  name ??= path
    .basename(file)
    .replace(/\.onnx$/i, "")
    .replace(/\.int8$/i, "");
  version ??= "1";
  if (!NAME_RE.test(name))
    throw new Error(`model name "${name}" may only hold letters, digits, "_", "." and "-" (it goes in URLs)`);
  if (!NAME_RE.test(version))
    throw new Error(`model version "${version}" may only hold letters, digits, "_", "." and "-"`);
  return { name, version, path: baseDir ? path.resolve(baseDir, file) : file };
}

/** One option's value, checked against its kind and range; throws an Error with the problem. */
export function parseOptionValue(spec: OptionSpec, raw: unknown, from: "flag" | "file"): string | number {
  if (spec.kind === "duration") return normalizeDuration(from === "flag" ? String(raw) : raw);
  if (spec.kind === "enum") {
    if (typeof raw !== "string" || !spec.choices!.includes(raw))
      throw new Error(`expected one of ${spec.choices!.join(", ")}, got ${JSON.stringify(raw)}`);
    return raw;
  }
  if (spec.kind === "string") {
    if (typeof raw !== "string" || raw === "")
      throw new Error(`expected a non-empty string, got ${JSON.stringify(raw)}`);
    return raw;
  }
  let n: number;
  if (spec.kind === "bytes") n = parseBytes(raw);
  else if (typeof raw === "number" || (from === "flag" && typeof raw === "string" && raw.trim() !== ""))
    n = Number(raw);
  else throw new Error(`expected a number, got ${JSON.stringify(raw)}`);
  if (!Number.isFinite(n)) throw new Error(`expected a number, got ${JSON.stringify(raw)}`);
  if (spec.kind === "int" && !Number.isInteger(n))
    throw new Error(`expected a whole number, got ${JSON.stringify(raw)}`);
  if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max))
    throw new Error(`${n} is out of range [${spec.min ?? "-∞"}, ${spec.max ?? "∞"}]`);
  return n;
}

/** "16mb" → 16777216 (units are powers of 1024, k/kb/kib alike); plain numbers are bytes. */
export function parseBytes(raw: unknown): number {
  if (typeof raw === "number") return raw;
  const m = typeof raw === "string" ? /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(raw) : null;
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined)
    throw new Error(`expected a size such as 512kb or 16mb, got ${JSON.stringify(raw)}`);
  return Math.floor(Number(m[1]) * unit);
}
