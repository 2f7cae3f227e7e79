/**
 * The `mlpack serve --config` file baked into the image, from the project's `server` defaults. It
 * sits in the model layer (models/), because it names the model and changes with it; the runtime and
 * server-code layers stay byte-identical when only the model or these settings change.
 */
import type { ServerConfig } from "../../config/types.js";
import { UsageError } from "../../errors.js";
import { SERVER_CONFIG_KEYS, serverConfigProblems } from "../../serve/option-schema.js";

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
  // The same checks as mlpack.yaml's loader and `mlpack serve` (one table: serve/options.ts).
  const problems = serverConfigProblems(s);
  if (problems.length > 0)
    throw new UsageError(problems.join("\n"), { hint: "fix the server section of mlpack.yaml" });
  const serve: Record<string, unknown> = {
    host: "0.0.0.0",
    model: [{ name: input.name, path: input.modelPath, version: input.version }],
    port: s.port ?? DEFAULT_PORT,
  };
  for (const key of SERVER_CONFIG_KEYS) if (key !== "port" && s[key] !== undefined) serve[key] = s[key];
  const sorted = Object.fromEntries(Object.entries(serve).sort(([a], [b]) => (a < b ? -1 : 1)));
  return JSON.stringify({ serve: sorted }, null, 2) + "\n";
}
