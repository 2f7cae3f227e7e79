/**
 * Loads mlpack.yaml / mlpack.json, validates it against the generated JSON Schema and reports every
 * problem with the key path, what is allowed, and a did-you-mean for misspelt keys.
 */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { Ajv, type ErrorObject } from "ajv";
import type { MlpackConfig } from "./types.js";
import { UserError } from "../errors.js";
import { serverConfigProblems } from "../serve/option-schema.js";
import { readRegularFileSync } from "../read-regular-file.js";
import { MAX_CONFIG_BYTES, parseConfigText } from "./parse.js";

export { parseConfigText };

export const CONFIG_NAMES = ["mlpack.yaml", "mlpack.yml", "mlpack.json"];

const schema = createRequire(import.meta.url)("../../schema/mlpack.schema.json") as Record<string, unknown>;
let validator: ReturnType<Ajv["compile"]> | undefined;

function compiled() {
  validator ??= new Ajv({ allErrors: true, strict: false, verbose: true }).compile(schema);
  return validator;
}

/** The target names the schema allows (generated from the target registry). */
function targetNames(): string[] {
  const defs = (schema as { definitions?: Record<string, { properties?: object }> }).definitions;
  return Object.keys(defs?.TargetsConfig?.properties ?? {});
}

export interface LoadedConfig {
  file: string;
  dir: string;
  config: MlpackConfig;
}

/** Finds the config: the given path, or mlpack.yaml/.yml/.json in `dir`. */
export function findConfig(explicit: string | undefined, dir = process.cwd()): string {
  if (explicit) {
    if (!fs.existsSync(explicit))
      throw new UserError(`config file ${explicit} not found`, { hint: "check the path given to --config" });
    return explicit;
  }
  for (const n of CONFIG_NAMES) if (fs.existsSync(path.join(dir, n))) return path.join(dir, n);
  throw new UserError(`no mlpack.yaml (or mlpack.json) in ${dir}`, {
    hint: "create one with `mlpack init MODEL`, or pass --config FILE",
  });
}

function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}

function keyPath(instancePath: string, extra?: string): string {
  const parts = instancePath
    .split("/")
    .filter(Boolean)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (extra !== undefined) parts.push(extra);
  return parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join("") || "(top level)";
}

function describe(e: ErrorObject, value: unknown): string | undefined {
  const where = keyPath(e.instancePath);
  switch (e.keyword) {
    case "additionalProperties": {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys(((e.parentSchema as { properties?: object }).properties ?? {}) as object);
      const best = allowed
        .map((k) => [k, levenshtein(k.toLowerCase(), key.toLowerCase())] as const)
        .sort((a, b) => a[1] - b[1])[0];
      const guess =
        best && best[1] <= Math.max(2, Math.floor(key.length / 3)) ? ` (did you mean "${best[0]}"?)` : "";
      return `unknown key "${keyPath(e.instancePath, key)}"${guess}; allowed keys here: ${allowed.join(", ")}`;
    }
    case "enum":
      return `${where}: ${JSON.stringify(value)} is not allowed; use one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(", ")}`;
    case "required":
      return `missing required key "${keyPath(e.instancePath, (e.params as { missingProperty: string }).missingProperty)}"`;
    case "type":
      return `${where}: must be ${(e.params as { type: string }).type === "integer" ? "an integer" : `a ${(e.params as { type: string }).type}`} (got ${JSON.stringify(value)})`;
    case "minimum":
    case "maximum":
      return `${where}: must be ${e.keyword === "minimum" ? ">=" : "<="} ${(e.params as { limit: number }).limit} (got ${JSON.stringify(value)})`;
    default:
      return undefined;
  }
}

function valueAt(root: unknown, instancePath: string): unknown {
  let cur = root;
  for (const p of instancePath.split("/").filter(Boolean))
    cur = (cur as Record<string, unknown> | undefined)?.[p.replace(/~1/g, "/").replace(/~0/g, "~")];
  return cur;
}

/** Every problem in `data`, as one-line messages (empty when valid). */
export function configProblems(data: unknown): string[] {
  const validate = compiled();
  // The server section is checked by the serve option table, so build and `mlpack serve` agree.
  const server = serverConfigProblems((data as { server?: unknown } | null)?.server);
  if (validate(data)) return server;
  const errors = (validate.errors ?? []).filter((e) => !/^\/server(\/|$)/.test(e.instancePath));
  const out = new Set<string>();
  for (const e of errors) {
    const value = valueAt(data, e.instancePath);
    // `quantize: {...}` fails both branches of `QuantizeConfig | false`; the boolean branch is noise.
    if (
      (e.keyword === "type" && (e.params as { type: string }).type === "boolean") ||
      e.keyword === "const" ||
      e.keyword === "anyOf"
    ) {
      if (typeof value === "object" && value !== null) continue;
    }
    const msg = describe(e, value);
    if (msg) out.add(msg);
    else if (e.keyword === "anyOf" || e.keyword === "const")
      out.add(`${keyPath(e.instancePath)}: must be an object or false (got ${JSON.stringify(value)})`);
    else out.add(`${keyPath(e.instancePath)}: ${e.message}`);
  }
  return [...out, ...server];
}

/** The first problems, one a line; a file with thousands of stray keys should not print them all. */
const MAX_LISTED = 20;
function listed(problems: string[]): string {
  const shown = problems.slice(0, MAX_LISTED).join("\n  - ");
  return problems.length > MAX_LISTED ? `${shown}\n  - … and ${problems.length - MAX_LISTED} more` : shown;
}

export function loadConfig(explicit?: string, dir?: string): LoadedConfig {
  const file = findConfig(explicit, dir);
  const text = readRegularFileSync(file, {
    what: "config",
    maxBytes: MAX_CONFIG_BYTES,
    sizeHint: "a config names files and settings; is this the right file?",
  }).toString("utf8");
  const data = parseConfigText(text, file);
  const problems = configProblems(data);
  if (problems.length > 0) {
    throw new UserError(
      `${file}: ${problems.length === 1 ? problems[0] : `${problems.length} problems:\n  - ${listed(problems)}`}`,
      {
        hint: `the schema is schema/mlpack.schema.json; \`mlpack init\` writes a commented example`,
      },
    );
  }
  const config = data as MlpackConfig;
  if (Object.keys(config.targets).length === 0) {
    throw new UserError(`${file}: "targets" is empty`, {
      hint: `add at least one of ${targetNames().join(", ")}`,
    });
  }
  return { file: path.resolve(file), dir: path.dirname(path.resolve(file)), config };
}
