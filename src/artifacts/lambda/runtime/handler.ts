/**
 * The Lambda handler behind templates/lambda/index.mjs. index.mjs creates the onnxruntime session at
 * module scope (Lambda's init phase, before the first request is billed and timed) and hands it here.
 * Every answer goes through the server's router, so routes, JSON and errors match `mlpack serve`.
 * The handler never throws: a failure is a JSON error with a status code, not a Lambda "Unhandled".
 */
import { handleRequest } from "../../../serve/router.js";
import type { ModelInfo } from "../../../serve/model-info.js";
import { errorResult, parseEvent, toDirectResult, toHttpResult } from "./events.js";
import { createInProcessService, type SessionLike, type TensorCtor } from "./service.js";

export { intraOpThreadsFromEnv } from "./env.js";

export interface LambdaHandlerOptions {
  session: SessionLike;
  Tensor: TensorCtor;
  model: ModelInfo;
  serverVersion: string;
  /** Where errors are reported (CloudWatch reads stderr). Default: console.error. */
  logError?: (msg: string) => void;
}

export type LambdaHandler = (event: unknown, context?: unknown) => Promise<unknown>;

export function createLambdaHandler(opts: LambdaHandlerOptions): LambdaHandler {
  const service = createInProcessService(opts);
  // eslint-disable-next-line no-console -- CloudWatch Logs is the function's terminal
  const logError = opts.logError ?? ((m: string) => console.error(m));
  const logger = { info() {}, debug() {}, warn: logError, error: logError };
  return async (event) => {
    let direct = false;
    try {
      const parsed = parseEvent(event, opts.model.name);
      if (parsed.kind === "invalid")
        return parsed.http ? errorResult(400, parsed.message) : { error: parsed.message, statusCode: 400 };
      direct = parsed.kind === "direct";
      const res = await handleRequest(service, parsed.request, { logger });
      return direct ? toDirectResult(res) : toHttpResult(res);
    } catch (e) {
      // handleRequest already turns request errors into responses; this is a bug in the adapter.
      const msg = `internal error: ${e instanceof Error ? e.message : String(e)}`;
      logError(msg);
      return direct ? { error: msg, statusCode: 500 } : errorResult(500, msg);
    }
  };
}
