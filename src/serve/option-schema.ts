/**
 * The `server:` section of mlpack.yaml, derived from SERVE_OPTIONS (options.ts): its TypeScript type,
 * its JSON Schema (spliced into schema/mlpack.schema.json by scripts/gen-config-schema.ts) and its
 * checks, which run the same parser as `mlpack serve` so a value is refused at build time with the
 * message the server would give at start-up.
 */
import { parseOptionValue, SERVE_OPTIONS, type OptionSpec, type ServeOptions } from "./options.js";

/**
 * Options that mean nothing in an image or a function: the model comes from the config, the host is
 * 0.0.0.0, and a canary or shadow candidate would be a second model file the artifact does not ship.
 */
const NOT_IN_CONFIG = new Set<string>(["models", "host", "canary", "shadow"]);

export type ServerConfigKey = Exclude<keyof typeof SERVE_OPTIONS, "models" | "host" | "canary" | "shadow">;

export const SERVER_CONFIG_KEYS = (Object.keys(SERVE_OPTIONS) as (keyof typeof SERVE_OPTIONS)[]).filter(
  (k): k is ServerConfigKey => !NOT_IN_CONFIG.has(k),
);

/** The `server:` section: any option of the table, by its camelCase name; sizes as "16mb" or bytes. */
export type ServerConfig = {
  [K in ServerConfigKey]?: K extends "maxBody" | "canaryWindow" ? string | number : ServeOptions[K];
};

const spec = (k: ServerConfigKey): OptionSpec => SERVE_OPTIONS[k];

/** What the Lambda handler uses of the section (the rest is reported as ignored at build time). */
export const LAMBDA_SERVER_KEYS: readonly ServerConfigKey[] = ["intraOpThreads"];

/** The JSON Schema of the `server:` section. */
export function serverConfigJsonSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const k of SERVER_CONFIG_KEYS) {
    const s = spec(k);
    const description = `${s.description}${s.default !== undefined ? `. Default: ${s.default}` : ""}.`;
    const bounds = {
      ...(s.min !== undefined ? { minimum: s.min } : {}),
      ...(s.max !== undefined ? { maximum: s.max } : {}),
    };
    if (s.kind === "enum") properties[k] = { type: "string", enum: [...s.choices!], description };
    else if (s.kind === "string") properties[k] = { type: "string", minLength: 1, description };
    else if (s.kind === "duration")
      properties[k] = {
        anyOf: [
          { type: "string", pattern: "^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h)?\\s*$" },
          { type: "number", exclusiveMinimum: 0 },
        ],
        description,
      };
    else if (s.kind === "bytes")
      properties[k] = {
        anyOf: [
          { type: "string", pattern: "^\\s*\\d+(\\.\\d+)?\\s*([bB]|[kKmMgG]([bB]|i[bB])?)?\\s*$" },
          { type: "integer", ...bounds },
        ],
        description,
      };
    else properties[k] = { type: s.kind === "int" ? "integer" : "number", ...bounds, description };
  }
  return {
    type: "object",
    properties,
    additionalProperties: false,
    description:
      "Defaults for the model server inside the Docker image (every key) and the Lambda handler (intraOpThreads); the same options as `mlpack serve`'s flags.",
  };
}

/** Every problem in a `server:` section, as `server.key: message`, worded as `mlpack serve` words them. */
export function serverConfigProblems(server: unknown): string[] {
  if (server === undefined) return [];
  if (server === null || typeof server !== "object" || Array.isArray(server))
    return [`server: must be an object of server options (got ${JSON.stringify(server)})`];
  const problems: string[] = [];
  for (const [k, v] of Object.entries(server)) {
    if (!(SERVER_CONFIG_KEYS as string[]).includes(k)) {
      problems.push(`unknown key "server.${k}"; allowed keys here: ${SERVER_CONFIG_KEYS.join(", ")}`);
      continue;
    }
    try {
      parseOptionValue(spec(k as ServerConfigKey), v, "file");
    } catch (e) {
      problems.push(`server.${k}: ${(e as Error).message}`);
    }
  }
  return problems;
}
