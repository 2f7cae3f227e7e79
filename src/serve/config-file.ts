/**
 * `--config FILE`: a JSON file with the same option names as the flags (kebab-case, or camelCase as in
 * mlpack.json). Accepted shapes: the options at the top level; a "serve" section; or an mlpack.json
 * whose top-level "model" / "name" / "version" name the model and whose "server" section holds the
 * options. Unknown keys are errors that name the key and the nearest known one.
 */
import fs from "node:fs";
import { UserError } from "../errors.js";
import {
  SERVE_OPTIONS,
  type OptionSource,
  type OptionSpec,
  type RawServeOptions,
  type ServeOptionKey,
} from "./options.js";

export async function readServeConfigFile(
  file: string,
  readFile: (p: string) => Promise<string> = (p) => fs.promises.readFile(p, "utf8"),
): Promise<OptionSource> {
  let text: string;
  try {
    text = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      `cannot read config ${file}: ${code === "ENOENT" ? "no such file" : String(code ?? e)}`,
      {
        hint: "check the --config path",
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`, {
      hint: `the config is a JSON object such as {"model": ["model.onnx"], "port": 8080}`,
    });
  }
  return { kind: "file", file, values: configToRawOptions(json, file) };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** A parsed config file → raw values by option (checked later by resolveServeOptions). */
export function configToRawOptions(obj: unknown, file: string): RawServeOptions {
  if (!isObject(obj))
    throw new UserError(`${file}: the config must be a JSON object of serve options`, {
      hint: `e.g. {"model": ["model.onnx"], "port": 8080, "max-batch-size": 32}`,
    });
  if (isObject(obj.serve)) return mapKeys(obj.serve, file, "serve.");
  if (isObject(obj.server)) {
    // mlpack.json: the model is described at the top level, the server's options in "server".
    const out = mapKeys(obj.server, file, "server.");
    if (out.models === undefined && typeof obj.model === "string")
      out.models = [{ path: obj.model, ...pick(obj, "name"), ...pick(obj, "version") }];
    return out;
  }
  return mapKeys(obj, file, "");
}

function pick(o: Record<string, unknown>, k: string): Record<string, unknown> {
  return o[k] === undefined ? {} : { [k]: o[k] };
}

function mapKeys(o: Record<string, unknown>, file: string, prefix: string): RawServeOptions {
  const byKey = new Map<string, ServeOptionKey>([["models", "models"]]);
  for (const [k, spec] of Object.entries(SERVE_OPTIONS) as [ServeOptionKey, OptionSpec][]) {
    byKey.set(spec.key, k);
    byKey.set(k, k);
  }
  const out: RawServeOptions = {};
  const unknown: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    const opt = byKey.get(k);
    if (opt) out[opt] = v;
    else unknown.push(k);
  }
  if (unknown.length > 0) {
    const known = Object.values(SERVE_OPTIONS).map((s) => s.key);
    const lines = unknown.map((k) => {
      const near = [...byKey.keys()].find((c) => editDistance(c.toLowerCase(), k.toLowerCase()) <= 2);
      return `${file}: unknown key "${prefix}${k}"${near ? ` (did you mean "${near}"?)` : ""}`;
    });
    throw new UserError(lines.join("\n"), { hint: `known keys: ${known.join(", ")}` });
  }
  return out;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return dp[b.length];
}
