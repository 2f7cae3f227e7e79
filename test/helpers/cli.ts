import { spawnSync } from "node:child_process";
import path from "node:path";
import { main } from "../../src/cli/main.js";

export const REPO = path.resolve(import.meta.dirname, "../..");
export const BACKEND = path.resolve(REPO, "fixtures/onnx-backend-tests/node");

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the CLI in-process (fast; same code path as bin/mlpack.js minus process.exit). */
export async function runInProcess(args: string[]): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const t0 = performance.now();
  const code = await main(args, { out: (s) => (stdout += s), err: (s) => (stderr += s) });
  return { code, stdout, stderr, ms: performance.now() - t0 };
}

/** Runs the built CLI as a user would: `node bin/mlpack.js ...` (needs `npm run build`). */
export function runBuilt(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): CliRun {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [path.join(REPO, "bin/mlpack.js"), ...args], {
    cwd: opts.cwd ?? REPO,
    encoding: "utf8",
    timeout: opts.timeoutMs ?? 30_000,
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
}
