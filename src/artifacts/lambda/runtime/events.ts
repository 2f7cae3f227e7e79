/**
 * Lambda events in, router requests out, and router responses back as Lambda results. Pure: no
 * session, no I/O. Shapes: API Gateway HTTP API (payload 2.0) and Function URLs, API Gateway REST API
 * and ALB (payload 1.0), and direct invocations (the request body itself as the event).
 */
import { MAX_JSON_DEPTH, nestedDeeperThan } from "../../../serve/json-limits.js";
import type { RouterRequest, RouterResponse } from "../../../serve/router.js";

/** What API Gateway and Function URLs expect back from the function. */
export interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

export type ParsedEvent =
  | { kind: "http"; request: RouterRequest }
  | { kind: "direct"; request: RouterRequest }
  /** `http`: the event came through API Gateway or a Function URL, so the answer is an HttpResult. */
  | { kind: "invalid"; message: string; http: boolean };

/**
 * Lambda rejects synchronous responses over 6 MB (6,291,556 bytes of JSON result). Bodies are
 * checked against this, less room for the result's own fields, so a big answer becomes a clear 413
 * instead of Lambda's opaque "Response payload size exceeded".
 */
export const MAX_RESULT_BYTES = 6 * 1024 * 1024 - 4096;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

export function parseEvent(event: unknown, modelName: string): ParsedEvent {
  if (!isObj(event))
    return {
      kind: "invalid",
      http: false,
      message: `the event must be a JSON object (an API Gateway/Function URL request or {"inputs": ...}), got ${describe(event)}`,
    };
  const ctx = isObj(event.requestContext) ? event.requestContext : undefined;
  const http = ctx && isObj(ctx.http) ? ctx.http : undefined;
  if (http && typeof http.method === "string") {
    // Payload 2.0: rawPath keeps a named stage ("/prod/predict"); the routes are stage-relative.
    let path = typeof event.rawPath === "string" ? event.rawPath : String(http.path ?? "/");
    const stage = typeof ctx!.stage === "string" ? ctx!.stage : "$default";
    if (stage !== "$default" && (path === `/${stage}` || path.startsWith(`/${stage}/`)))
      path = path.slice(stage.length + 1) || "/";
    const query = new URLSearchParams(typeof event.rawQueryString === "string" ? event.rawQueryString : "");
    return httpRequest(http.method, path, query, event);
  }
  if (typeof event.httpMethod === "string" && typeof event.path === "string") {
    // Payload 1.0 (REST API, ALB): `path` is already stage-relative.
    const query = new URLSearchParams();
    const multi = isObj(event.multiValueQueryStringParameters) ? event.multiValueQueryStringParameters : {};
    const single = isObj(event.queryStringParameters) ? event.queryStringParameters : {};
    for (const [k, v] of Object.entries(multi))
      if (Array.isArray(v)) for (const x of v) query.append(k, String(x));
    for (const [k, v] of Object.entries(single)) if (!query.has(k)) query.append(k, String(v));
    return httpRequest(event.httpMethod, event.path, query, event);
  }
  if ("inputs" in event) {
    // The event is already parsed; a deeper one would overflow the stack when re-serialized below.
    if (nestedDeeperThan(event, MAX_JSON_DEPTH))
      return {
        kind: "invalid",
        http: false,
        message: `the event is nested deeper than ${MAX_JSON_DEPTH} levels`,
      };
    // A direct invocation carries the request body; the shape of "inputs" picks the endpoint.
    const path = Array.isArray(event.inputs)
      ? `/v2/models/${encodeURIComponent(modelName)}/infer`
      : "/predict";
    return {
      kind: "direct",
      request: {
        method: "POST",
        path,
        query: new URLSearchParams(),
        headers: { "content-type": "application/json" },
        body: Buffer.from(JSON.stringify(event), "utf8"),
      },
    };
  }
  return {
    kind: "invalid",
    http: false,
    message:
      `unrecognized event (keys: ${Object.keys(event).slice(0, 8).join(", ") || "none"}): expected an API Gateway ` +
      `HTTP API or Function URL request, a REST API request, or a direct invocation {"inputs": ...}`,
  };
}

function httpRequest(method: string, path: string, query: URLSearchParams, event: Obj): ParsedEvent {
  const headers: Record<string, string> = {};
  if (isObj(event.headers))
    for (const [k, v] of Object.entries(event.headers))
      if (v !== undefined && v !== null) headers[k.toLowerCase()] = String(v);
  let body: Buffer;
  if (event.body === undefined || event.body === null) body = Buffer.alloc(0);
  else if (typeof event.body !== "string")
    return {
      kind: "invalid",
      http: true,
      message: `the event's "body" must be a string, got ${describe(event.body)}`,
    };
  else
    body =
      event.isBase64Encoded === true ? Buffer.from(event.body, "base64") : Buffer.from(event.body, "utf8");
  if (body.length === 0 && method.toUpperCase() === "POST" && /\/(infer|predict)$/.test(path))
    return {
      kind: "invalid",
      http: true,
      message: `POST ${path} has no body: send the request JSON (see GET /v2/models/{name} for the inputs)`,
    };
  return { kind: "http", request: { method: method.toUpperCase(), path, query, headers, body } };
}

/** The router's response as an API Gateway result: JSON as text, anything else base64. */
export function toHttpResult(res: RouterResponse): HttpResult {
  const type = res.headers["content-type"] ?? "";
  const text = /^application\/json|^text\//.test(type);
  const body = text ? res.body.toString("utf8") : res.body.toString("base64");
  if (body.length > MAX_RESULT_BYTES) return errorResult(413, tooLarge(res.body.length, !text));
  return { statusCode: res.status, headers: { ...res.headers }, body, isBase64Encoded: !text };
}

export function errorResult(status: number, message: string): HttpResult {
  return {
    statusCode: status,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ error: message }),
    isBase64Encoded: false,
  };
}

/**
 * A direct invocation's answer: the response JSON itself on success; on failure the same `{"error"}`
 * body with the HTTP status beside it, returned (not thrown) so callers never see an unhandled error.
 */
export function toDirectResult(res: RouterResponse): unknown {
  const type = res.headers["content-type"] ?? "";
  if (!type.startsWith("application/json"))
    return {
      error: "direct invocations answer in JSON only; drop binary_data_output or call through a Function URL",
      statusCode: 400,
    };
  if (res.body.length > MAX_RESULT_BYTES) return { error: tooLarge(res.body.length, false), statusCode: 413 };
  const value = JSON.parse(res.body.toString("utf8")) as unknown;
  return res.status === 200 ? value : { ...(value as Obj), statusCode: res.status };
}

function tooLarge(bytes: number, base64: boolean): string {
  return (
    `the response is ${bytes} bytes${base64 ? " before base64" : ""}, over Lambda's 6 MB limit for ` +
    `synchronous responses; ask for fewer outputs ("outputs") or send a smaller batch`
  );
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "string" ? "a string" : typeof v;
}
