/**
 * The server's logs: a level (--log-level) and a format (--log-format text|json), and one access-log
 * line per request. Inference requests are logged at `info`, health probes, metadata and /metrics at
 * `debug` (orchestrators poll them every few seconds). Warnings and errors go to stderr, the rest to
 * stdout, in both formats.
 */
import type { Logger } from "../log.js";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["text", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** One request, as the access log records it. Durations in ms, rounded to 0.01. */
export interface AccessLogEntry {
  id: string;
  method: string;
  path: string;
  /** The route's label (infer, predict, ready, ...), as in mlpack_requests_total. */
  route: string;
  status: number;
  model?: string;
  version?: string;
  /** Waiting in the batching queue. */
  queueMs?: number;
  /** onnxruntime's run of the whole batch. */
  computeMs?: number;
  /** Body received to response ready. */
  totalMs: number;
  /** Rows in the batch the request ran in. */
  batchSize?: number;
  cached?: boolean;
  /** The error message, for statuses >= 400. */
  error?: string;
}

export interface ServeLogger extends Logger {
  access(entry: AccessLogEntry): void;
}

export interface ServeLoggerOptions {
  level: LogLevel;
  format: LogFormat;
  out: (line: string) => void;
  err: (line: string) => void;
  now?: () => Date;
}

const INFERENCE_ROUTES = new Set(["infer", "predict"]);
const LEVEL_RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function createServeLogger(opts: ServeLoggerOptions): ServeLogger {
  const min = LOG_LEVELS.indexOf(opts.level);
  const now = opts.now ?? (() => new Date());
  const on = (level: LogLevel) => LEVEL_RANK[level] >= min;
  const emit = (level: LogLevel, msg: string) => {
    if (!on(level)) return;
    const sink = level === "warn" || level === "error" ? opts.err : opts.out;
    if (opts.format === "json") sink(JSON.stringify({ time: now().toISOString(), level, msg }));
    else
      sink(level === "warn" || level === "error" ? `${level === "warn" ? "warning" : "error"}: ${msg}` : msg);
  };
  return {
    debug: (m) => emit("debug", m),
    info: (m) => emit("info", m),
    warn: (m) => emit("warn", m),
    error: (m) => emit("error", m),
    access(e) {
      const level: LogLevel = INFERENCE_ROUTES.has(e.route) ? "info" : "debug";
      if (!on(level)) return;
      if (opts.format === "json") {
        opts.out(JSON.stringify({ time: now().toISOString(), level, msg: "request", ...e }));
        return;
      }
      let line = `${e.method} ${e.path} ${e.status} id=${e.id}`;
      if (e.model) line += ` model=${e.model}@${e.version}`;
      if (e.batchSize !== undefined) line += ` batch=${e.batchSize}`;
      if (e.cached) line += " cached";
      if (e.queueMs !== undefined) line += ` queue=${e.queueMs}ms`;
      if (e.computeMs !== undefined) line += ` compute=${e.computeMs}ms`;
      line += ` total=${e.totalMs}ms`;
      if (e.error) line += ` error=${JSON.stringify(e.error)}`;
      opts.out(line);
    },
  };
}

/** Milliseconds rounded to 0.01, for logs. */
export const ms = (x: number) => Math.round(x * 100) / 100;
