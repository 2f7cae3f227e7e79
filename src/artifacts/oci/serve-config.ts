/**
 * The `mlpack serve --config` file baked into the image, from the project's `server` defaults. It
 * sits in the model layer (models/), because it names the model and changes with it; the runtime and
 * server-code layers stay byte-identical when only the model or these settings change.
 */
import type { ServerConfig } from "../../config/types.js";
import { UsageError } from "../../errors.js";
import { parseBytes } from "../../serve/options.js";

export const SERVE_CONFIG_FILE = "mlpack-serve.json";
export const DEFAULT_PORT = 8080;

export interface ServeConfigInput {
  name: string;
  version: string;
  /** The model file's path inside the image. */
  modelPath: string;
  server?: ServerConfig;
}

/** The JSON text of the serve config (sorted keys, newline-terminated: deterministic bytes). */
export function renderServeConfig(input: ServeConfigInput): string {
  const s = input.server ?? {};
  const checkInt = (
    key: Exclude<keyof ServerConfig, "maxBody">,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
  ) => {
    const v = s[key];
    if (v === undefined) return;
    if (!Number.isInteger(v) || v < min || v > max)
      throw new UsageError(`server.${key} must be an integer from ${min} to ${max}, got ${String(v)}`, {
        hint: "fix the server section of mlpack.yaml",
      });
  };
  checkInt("workers", 1, 256);
  checkInt("intraOpThreads", 1, 1024);
  checkInt("maxBatchSize", 1);
  checkInt("maxQueueDelayMs", 0);
  checkInt("cacheSize", 0);
  checkInt("port", 1, 65535);
  checkInt("maxQueue", 1, 1_000_000);
  checkInt("shutdownTimeoutMs", 0, 3_600_000);
  if (s.maxBody !== undefined) {
    try {
      if (!(parseBytes(s.maxBody) >= 1)) throw new Error("must be at least 1 byte");
    } catch (e) {
      throw new UsageError(`server.maxBody ${JSON.stringify(s.maxBody)}: ${(e as Error).message}`, {
        hint: "a size such as 512kb or 16mb",
      });
    }
  }
  const serve: Record<string, unknown> = {
    host: "0.0.0.0",
    model: [{ name: input.name, path: input.modelPath, version: input.version }],
    port: s.port ?? DEFAULT_PORT,
  };
  const keys = [
    "workers",
    "intraOpThreads",
    "maxBatchSize",
    "maxQueueDelayMs",
    "cacheSize",
    "maxQueue",
    "maxBody",
    "shutdownTimeoutMs",
  ] as const;
  for (const key of keys) if (s[key] !== undefined) serve[key] = s[key];
  const sorted = Object.fromEntries(Object.entries(serve).sort(([a], [b]) => (a < b ? -1 : 1)));
  return JSON.stringify({ serve: sorted }, null, 2) + "\n";
}
