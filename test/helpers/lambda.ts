/** Helpers for the Lambda tests: unzip an artifact, run it against the local Runtime API, models. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { extractEntry, readZipDirectory } from "../../src/artifacts/lambda/zip-read.js";
import { writeNodeRuntimeShim } from "../../src/artifacts/lambda/local/node-runtime.js";
import type { RuntimeApi } from "../../src/artifacts/lambda/local/runtime-api.js";

export const HAVE_UNZIP = spawnSync("unzip", ["-v"], { stdio: "ignore" }).status === 0;

/** Unzips with Info-ZIP `unzip` (an independent reader, keeps Unix modes) or, without it, our reader. */
export function unzipTo(zip: string, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  if (HAVE_UNZIP) {
    const r = spawnSync("unzip", ["-q", "-o", zip, "-d", dir], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`unzip failed: ${r.stderr}`);
    return;
  }
  const buf = fs.readFileSync(zip);
  for (const e of readZipDirectory(buf)) {
    const target = path.join(dir, e.name);
    if (e.name.endsWith("/")) fs.mkdirSync(target, { recursive: true });
    else {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, extractEntry(buf, e));
    }
    fs.chmodSync(target, e.mode & 0o777);
  }
}

export interface RunningFunction {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * Starts an unzipped function the way Lambda does: nodejs runtimes through the runtime-interface
 * shim with _HANDLER=index.handler, provided.al2023 by executing ./bootstrap.
 */
export function startFunction(
  taskRoot: string,
  api: RuntimeApi,
  runtime: "nodejs" | "provided",
  shimDir: string,
  env: Record<string, string> = {},
): RunningFunction {
  const baseEnv = {
    PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`,
    AWS_LAMBDA_RUNTIME_API: api.address,
    LAMBDA_TASK_ROOT: taskRoot,
    _HANDLER: "index.handler",
    AWS_LAMBDA_FUNCTION_NAME: "mlpack-test",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1024",
    ...env,
  };
  const child =
    runtime === "nodejs"
      ? spawn(process.execPath, [writeNodeRuntimeShim(shimDir)], { cwd: taskRoot, env: baseEnv })
      : spawn(path.join(taskRoot, "bootstrap"), [], { cwd: taskRoot, env: baseEnv });
  let err = "";
  child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    stderr: () => err,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** An API Gateway HTTP API (payload 2.0) event, as a Function URL sends it. */
export function httpEvent(
  method: string,
  rawPath: string,
  body?: string | Buffer,
  opts: { headers?: Record<string, string>; base64?: boolean; query?: string; stage?: string } = {},
): Record<string, unknown> {
  const base64 = opts.base64 ?? Buffer.isBuffer(body);
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString: opts.query ?? "",
    headers: { "content-type": "application/json", ...(opts.headers ?? {}) },
    requestContext: {
      accountId: "anonymous",
      apiId: "local",
      domainName: "local.lambda-url.us-east-1.on.aws",
      http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "vitest" },
      requestId: "r",
      routeKey: "$default",
      stage: opts.stage ?? "$default",
      time: "01/Jan/2026:00:00:00 +0000",
      timeEpoch: 0,
    },
    ...(body === undefined
      ? {}
      : { body: base64 ? Buffer.from(body).toString("base64") : body.toString(), isBase64Encoded: base64 }),
  };
}
