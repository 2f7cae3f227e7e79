/**
 * What the AWS Node.js runtime (nodejs20.x / nodejs22.x) does with a zip, reduced to its core, for
 * running a function locally: resolve _HANDLER ("index.handler") against LAMBDA_TASK_ROOT, trying
 * .js, .mjs and .cjs like the AWS runtime does, import it once (init), then loop on the Runtime API.
 * Independent of templates/lambda/runtime.mjs (the provided.al2023 loop) so each checks the other.
 */
import fs from "node:fs";
import path from "node:path";

export const NODE_RUNTIME_SHIM = `// Local stand-in for the AWS Lambda Node.js runtime interface client.
import { pathToFileURL } from "node:url";
import fs from "node:fs";
import path from "node:path";

const api = "http://" + process.env.AWS_LAMBDA_RUNTIME_API + "/2018-06-01/runtime";
const root = process.env.LAMBDA_TASK_ROOT;
const [moduleName, exportName] = (process.env._HANDLER || "index.handler").split(".");

async function post(url, body, headers = {}) {
  const r = await fetch(url, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json", ...headers } });
  await r.arrayBuffer();
}
const errorOf = (e, type) => ({ errorType: (e && e.name) || type, errorMessage: String((e && e.message) || e) });

let handler;
try {
  const file = [".js", ".mjs", ".cjs"].map((x) => path.join(root, moduleName + x)).find((f) => fs.existsSync(f));
  if (!file) throw new Error("Cannot find module '" + moduleName + "' in " + root);
  handler = (await import(pathToFileURL(file).href))[exportName];
  if (typeof handler !== "function") throw new Error(moduleName + "." + exportName + " is undefined or not exported");
} catch (e) {
  await post(api + "/init/error", errorOf(e, "Runtime.ImportModuleError"), { "lambda-runtime-function-error-type": "Runtime.ImportModuleError" });
  process.exit(1);
}
for (;;) {
  const next = await fetch(api + "/invocation/next");
  const id = next.headers.get("lambda-runtime-aws-request-id");
  const deadline = Number(next.headers.get("lambda-runtime-deadline-ms"));
  const event = JSON.parse(await next.text());
  const context = { awsRequestId: id, getRemainingTimeInMillis: () => deadline - Date.now() };
  try {
    const result = await handler(event, context);
    await post(api + "/invocation/" + id + "/response", result === undefined ? null : result);
  } catch (e) {
    await post(api + "/invocation/" + id + "/error", errorOf(e, "Error"), { "lambda-runtime-function-error-type": "Runtime.UnhandledError" });
  }
}
`;

/** Writes the shim as <dir>/node-runtime.mjs (outside the function's directory, like /var/runtime). */
export function writeNodeRuntimeShim(dir: string): string {
  const file = path.join(dir, "node-runtime.mjs");
  fs.writeFileSync(file, NODE_RUNTIME_SHIM);
  return file;
}
