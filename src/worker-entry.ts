/**
 * Where a worker thread's code is: the compiled `NAME.js` beside the caller in dist/, or, when the
 * caller runs from sources (tsx, vitest), an eval'd entry that registers tsx inside the worker and
 * then imports `NAME.ts` (a worker does not inherit the parent's loader).
 */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import type { WorkerOptions } from "node:worker_threads";

/** `callerUrl`: the caller's import.meta.url; `name`: the worker module beside it, without extension. */
export function workerEntry(
  callerUrl: string,
  name: string,
): { filename: string | URL; options: WorkerOptions } {
  if (!callerUrl.endsWith(".ts")) return { filename: new URL(`./${name}.js`, callerUrl), options: {} };
  const entry = new URL(`./${name}.ts`, callerUrl).href;
  const require = createRequire(callerUrl);
  const pkgFile = require.resolve("tsx/package.json");
  const pkg = JSON.parse(fs.readFileSync(pkgFile, "utf8")) as {
    exports: Record<string, { import: { default: string } }>;
  };
  const api = pathToFileURL(path.join(path.dirname(pkgFile), pkg.exports["./esm/api"].import.default)).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return { filename: code, options: { eval: true } };
}
