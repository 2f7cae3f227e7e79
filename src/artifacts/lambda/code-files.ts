/**
 * mlpack's own compiled modules that the handler imports, found by following the import statements of
 * dist/ from the handler's entry module. Only that closure goes into the zip (the CLI, the ONNX
 * reader and protobuf code, quantization, ... stay out), so the function needs no other npm package.
 */
import fs from "node:fs";
import path from "node:path";
import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";
import { UserError } from "../../errors.js";
import type { SourceFile } from "./ort-files.js";

/** The module index.mjs imports, relative to dist/. */
export const RUNTIME_ENTRY = "artifacts/lambda/runtime/handler.js";
/** Bare specifiers the shipped modules may import: Node built-ins and onnxruntime-node (zipped beside). */
const ALLOWED_PACKAGES = new Set(["onnxruntime-node"]);

const STATIC_IMPORT = /(?:^|[;\s])(?:import|export)\s[^'"`;]*?\bfrom\s*["']([^"']+)["']/g;
const BARE_IMPORT = /(?:^|[;\s])import\s*["']([^"']+)["']/g;
const DYNAMIC_IMPORT = /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g;

/**
 * dist/ of this package: beside this module when running compiled (dist/artifacts/lambda/), else the
 * build output next to src/ (tests run the TypeScript sources, the handler needs the compiled JS).
 */
export function defaultDistDir(): string {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
  return path.basename(root) === "src" ? path.join(path.dirname(root), "dist") : root;
}

export function importsOf(source: string): string[] {
  const out = new Set<string>();
  for (const re of [STATIC_IMPORT, BARE_IMPORT, DYNAMIC_IMPORT])
    for (const m of source.matchAll(re)) out.add(m[1]);
  return [...out];
}

/** The entry module and every relative module it reaches, as zip entries under `zipRoot`. */
export function collectCodeFiles(distDir: string, zipRoot = "mlpack"): SourceFile[] {
  const entry = path.join(distDir, RUNTIME_ENTRY);
  if (!fs.existsSync(entry))
    throw new UserError(`${entry} is missing: mlpack's compiled modules are not built`, {
      hint: "run `npm run build` in the mlpack checkout (it compiles src/ to dist/)",
    });
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of importsOf(fs.readFileSync(file, "utf8"))) {
      if (spec.startsWith("node:") || builtinModules.includes(spec)) continue;
      if (spec.startsWith(".")) {
        const target = path.resolve(path.dirname(file), spec);
        if (!target.startsWith(distDir + path.sep))
          throw new Error(`${file} imports ${spec}, outside ${distDir}: the Lambda bundle cannot carry it`);
        if (!fs.existsSync(target)) throw new Error(`${file} imports ${spec}, which does not exist`);
        queue.push(target);
      } else if (!ALLOWED_PACKAGES.has(spec.split("/")[0]))
        // A new dependency of the serving code would be missing on Lambda: fail here, not there.
        throw new Error(
          `${path.relative(distDir, file)} imports "${spec}", which the Lambda zip does not ship (only onnxruntime-node)`,
        );
    }
  }
  return [...seen]
    .map((from) => ({
      from,
      to: `${zipRoot}/${path.relative(distDir, from).split(path.sep).join("/")}`,
      bytes: fs.statSync(from).size,
    }))
    .sort((a, b) => (a.to < b.to ? -1 : a.to > b.to ? 1 : 0));
}
