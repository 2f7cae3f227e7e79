// Lambda Runtime API client for the provided.al2023 custom runtime, started by ./bootstrap. It does
// what the AWS Node.js runtime does for nodejs2x.x functions: import the handler module once (the init
// phase), then loop: fetch the next event, call handler(event, context), post the result or the error.
// https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
import http from "node:http";

const API = process.env.AWS_LAMBDA_RUNTIME_API;
const BASE = "/2018-06-01/runtime";
// One connection, kept open: the Runtime API is local and every invocation uses it twice.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(method, path, body, headers = {}) {
  const [host, port] = API.split(":");
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host, port: Number(port || 80), method, path, agent, headers: { "content-type": "application/json", ...headers } },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

function errorBody(e, type) {
  const err = e instanceof Error ? e : new Error(String(e));
  return JSON.stringify({
    errorType: err.name && err.name !== "Error" ? err.name : type,
    errorMessage: err.message,
    stackTrace: String(err.stack || "").split("\n").slice(1).map((l) => l.trim()),
  });
}

if (!API) {
  process.stderr.write("runtime.mjs: AWS_LAMBDA_RUNTIME_API is not set; run it through ./bootstrap on Lambda\n");
  process.exit(1);
}

let handler;
try {
  ({ handler } = await import("./index.mjs"));
  if (typeof handler !== "function") throw new TypeError("index.mjs does not export a handler function");
} catch (e) {
  process.stderr.write(`init failed: ${e instanceof Error ? e.stack : e}\n`);
  await call("POST", `${BASE}/init/error`, errorBody(e, "Runtime.InitError"), {
    "lambda-runtime-function-error-type": "Runtime.InitError",
  });
  process.exit(1);
}

for (;;) {
  const next = await call("GET", `${BASE}/invocation/next`);
  const id = next.headers["lambda-runtime-aws-request-id"];
  const trace = next.headers["lambda-runtime-trace-id"];
  if (trace) process.env._X_AMZN_TRACE_ID = trace;
  else delete process.env._X_AMZN_TRACE_ID;
  const deadline = Number(next.headers["lambda-runtime-deadline-ms"] || 0);
  const context = {
    awsRequestId: id,
    invokedFunctionArn: next.headers["lambda-runtime-invoked-function-arn"],
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const event = JSON.parse(next.body);
    const result = await handler(event, context);
    await call("POST", `${BASE}/invocation/${id}/response`, JSON.stringify(result === undefined ? null : result));
  } catch (e) {
    await call("POST", `${BASE}/invocation/${id}/error`, errorBody(e, "Runtime.HandlerError"), {
      "lambda-runtime-function-error-type": "Runtime.HandlerError",
    });
  }
}
