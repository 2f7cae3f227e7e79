/**
 * Routes as data, transport-neutral: a request (method, path, headers, body bytes) in, a response
 * (status, headers, body bytes) out. node:http and the Lambda adapter are thin shells around this.
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "../log.js";
import { badRequest, notFound, ServeError, toServeError } from "./errors.js";
import {
  encodeError,
  encodeInferResponse,
  encodePredictResponse,
  parseInferRequest,
  parsePredictRequest,
  predictInputsToTensors,
  type EncodedBody,
  type InferTiming,
} from "./protocol.js";
import type { ModelService } from "./service.js";
import { ms, type AccessLogEntry } from "./serve-log.js";

export interface RouterRequest {
  method: string;
  /** Path without the query string, still percent-encoded. */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

export interface RouterResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

type Params = { name?: string; version?: string };
/** Handlers record the model they resolved, for metric labels. */
type Ctx = { model?: { name: string; version: string }; timing?: InferTiming; requestId?: string };
type Handler = (service: ModelService, req: RouterRequest, p: Params, ctx: Ctx) => Promise<Reply> | Reply;
type Reply = { status?: number; body: EncodedBody; headers?: Record<string, string> };

interface Route {
  method: "GET" | "POST";
  pattern: RegExp;
  /** The `route` label in mlpack_requests_total. */
  label: string;
  handler: Handler;
}

const MODEL = "/v2/models/([^/]+)(?:/versions/([^/]+))?";

const json = (v: unknown, status = 200): Reply => ({
  status,
  body: { contentType: "application/json", body: Buffer.from(JSON.stringify(v), "utf8") },
});

const ROUTES: Route[] = [
  {
    method: "GET",
    pattern: /^\/v2\/health\/live$/,
    label: "live",
    handler: (s) => (s.isLive() ? json({ live: true }) : json({ error: "the server is stopping" }, 503)),
  },
  {
    method: "GET",
    pattern: /^\/v2\/health\/ready$/,
    label: "ready",
    handler: (s) => {
      const r = s.readiness();
      return r.state === "ready"
        ? json({ ready: true })
        : json({ ready: false, status: r.state, error: `not ready: ${r.reason}` }, 503);
    },
  },
  { method: "GET", pattern: /^\/v2\/?$/, label: "server_metadata", handler: (s) => json(s.serverMetadata()) },
  {
    method: "POST",
    pattern: /^\/v2\/repository\/index$/,
    label: "repository_index",
    handler: (s) =>
      json(
        s.models.map((m) => ({
          name: m.name,
          version: m.version,
          state: s.isReady() ? "READY" : "UNAVAILABLE",
        })),
      ),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${MODEL}/ready$`),
    label: "model_ready",
    handler: (s, _r, p, ctx) => {
      const m = (ctx.model = s.resolveModel(p.name!, p.version));
      return s.isReady()
        ? json({ name: m.name, version: m.version, ready: true })
        : json({ error: `model "${m.name}" is not ready: ${notReadyReason(s)}` }, 503);
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`^${MODEL}/?$`),
    label: "model_metadata",
    handler: (s, _r, p, ctx) => {
      ctx.model = s.resolveModel(p.name!, p.version);
      return json(s.modelMetadata(p.name!, p.version));
    },
  },
  {
    method: "POST",
    pattern: new RegExp(`^${MODEL}/infer$`),
    label: "infer",
    handler: async (s, req, p, ctx) => {
      const model = (ctx.model = route(s, p.name!, p.version));
      const headerLen = header(req, "inference-header-content-length");
      const parsed = parseInferRequest(
        req.body,
        headerLen === undefined ? undefined : parseLength(headerLen),
      );
      ctx.requestId = parsed.id;
      const resp = await s.infer(model.name, model.version, parsed);
      ctx.timing = resp.timing;
      const body = encodeInferResponse(resp, parsed);
      return {
        body,
        ...(body.inferenceHeaderLength !== undefined
          ? { headers: { "inference-header-content-length": String(body.inferenceHeaderLength) } }
          : {}),
      };
    },
  },
  {
    method: "POST",
    pattern: /^\/predict$/,
    label: "predict",
    handler: async (s, req, _p, ctx) => {
      const body = parsePredictRequest(req.body);
      const name = req.query.get("model") ?? body.model;
      const version = req.query.get("version") ?? body.version;
      const names = [...new Set(s.models.map((m) => m.name))];
      if (name === undefined && names.length > 1)
        throw badRequest(
          `several models are served (${names.map((n) => `"${n}"`).join(", ")}); name one with ?model=NAME or "model" in the body`,
        );
      const model = (ctx.model = route(s, name ?? names[0], version));
      const inputs = predictInputsToTensors(body.inputs, model.inputs);
      const resp = await s.infer(model.name, model.version, { inputs, binaryOutput: false });
      ctx.timing = resp.timing;
      // /predict has no version field; the header says which version answered (canary or stable).
      return { body: encodePredictResponse(resp.outputs), headers: { "model-version": model.version } };
    },
  },
  {
    method: "GET",
    pattern: /^\/metrics$/,
    label: "metrics",
    handler: (s) => ({
      body: {
        contentType: "text/plain; version=0.0.4; charset=utf-8",
        body: Buffer.from(s.metrics.render(), "utf8"),
      },
    }),
  },
];

export interface HandleOptions {
  logger?: Logger;
  /** Called once per request, after the response is ready. */
  accessLog?: (entry: AccessLogEntry) => void;
  now?: () => number;
}

/** Answers one request. Never throws: every failure becomes a JSON `{"error"}` body with its status. */
export async function handleRequest(
  service: ModelService,
  req: RouterRequest,
  opts: HandleOptions = {},
): Promise<RouterResponse> {
  const now = opts.now ?? (() => performance.now());
  const t0 = now();
  const m = service.metrics;
  m.inflight.inc();
  let label = "unknown";
  // Labelled by the model actually resolved, so a typo in a URL cannot grow a new series.
  const ctx: Ctx = {};
  let reply: Reply;
  let errorMessage: string | undefined;
  try {
    const found = match(req);
    label = found.route.label;
    reply = await found.route.handler(service, req, found.params, ctx);
  } catch (e) {
    const err = toServeError(e);
    if (err.status >= 500 && err.status !== 503)
      opts.logger?.error(`${req.method} ${req.path}: ${err.message}`);
    if (err.status === 500 && opts.logger && err.cause instanceof Error && err.cause.stack)
      opts.logger.debug(err.cause.stack);
    reply = { status: err.status, body: encodeError(err.message), headers: err.headers };
    errorMessage = err.message;
  } finally {
    m.inflight.dec();
  }
  const status = reply.status ?? 200;
  const [model, version] = ctx.model ? [ctx.model.name, ctx.model.version] : ["", ""];
  m.requests.inc({ route: label, model, version, code: String(status) });
  const totalMs = now() - t0;
  if (label === "infer" || label === "predict") {
    m.requestSeconds.observe({ model, version }, totalMs / 1000);
    // The rollout windows see exactly what the two metrics above count (the Argo rule's inputs).
    if (ctx.model) service.rollouts?.record(model, version, status, totalMs / 1000);
  }
  const id = requestId(req, ctx);
  if (opts.accessLog) {
    const t = ctx.timing;
    // Assigned field by field (a line a request): the same keys, in the same order, as spreads gave.
    const e = { id, method: req.method, path: req.path, route: label, status } as AccessLogEntry;
    if (ctx.model) {
      e.model = model;
      e.version = version;
    }
    if (t?.queueMs !== undefined) e.queueMs = ms(t.queueMs);
    if (t?.computeMs !== undefined) e.computeMs = ms(t.computeMs);
    e.totalMs = ms(totalMs);
    if (t?.batchRows !== undefined) e.batchSize = t.batchRows;
    if (t?.cached) e.cached = true;
    if (errorMessage !== undefined) e.error = errorMessage;
    opts.accessLog(e);
  }
  return {
    status,
    headers: { "content-type": reply.body.contentType, "x-request-id": id, ...(reply.headers ?? {}) },
    body: reply.body.body,
  };
}

const ID_PREFIX = randomBytes(3).toString("hex");
let nextId = 0;

/** The client's X-Request-Id (when sane), else the OIP request id, else one of ours. */
function requestId(req: RouterRequest, ctx: Ctx): string {
  const given = header(req, "x-request-id") ?? ctx.requestId;
  if (given !== undefined && given.length <= 128 && /^[\x21-\x7e]+$/.test(given)) return given;
  return `${ID_PREFIX}-${++nextId}`;
}

/** The version that answers: named, or picked by the model's canary split. */
function route(s: ModelService, name: string, version: string | undefined) {
  return s.route ? s.route(name, version) : s.resolveModel(name, version);
}

function notReadyReason(s: ModelService): string {
  const r = s.readiness();
  return r.state === "ready" ? "" : r.reason;
}

const INFER = ROUTES.find((r) => r.label === "infer")!;

function match(req: RouterRequest): { route: Route; params: Params } {
  // Inference is nearly all the traffic: try its pattern first.
  if (req.method === "POST") {
    const m = INFER.pattern.exec(req.path);
    if (m) return { route: INFER, params: { name: decode(m[1]), version: decode(m[2]) } };
  }
  const allowed: string[] = [];
  for (const route of ROUTES) {
    const m = route.pattern.exec(req.path);
    if (!m) continue;
    if (route.method !== req.method) {
      allowed.push(route.method);
      continue;
    }
    return { route, params: { name: decode(m[1]), version: decode(m[2]) } };
  }
  if (allowed.length > 0)
    throw new ServeError(405, `${req.method} is not allowed on ${req.path} (use ${allowed.join(", ")})`, {
      headers: { allow: allowed.join(", ") },
    });
  throw notFound(
    `no route for ${req.method} ${req.path} (see /v2, /v2/models/{name}/infer, /predict, /metrics)`,
  );
}

function decode(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  if (!s.includes("%")) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    throw badRequest(`malformed percent-encoding in "${s}"`);
  }
}

function header(req: RouterRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function parseLength(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n))
    throw badRequest(`Inference-Header-Content-Length "${v}" is not a byte count`);
  return n;
}
