/**
 * The rollout admin endpoint: a separate listener (loopback by default, so only this machine, or a
 * `kubectl port-forward`, can change weights), apart from the inference port that clients reach.
 *   GET  /admin/status                         every rollout: versions, weight, windows, last rollback
 *   POST /admin/rollout  {"weight": N, "model"?}  set a canary's weight (0..100)
 *   POST /admin/rollback {"model"?}            weight 0 at once
 */
import http from "node:http";
import type net from "node:net";
import type { Logger } from "../../log.js";
import { badRequest, toServeError, ServeError, notFound } from "../errors.js";
import type { RolloutController } from "./controller.js";
import { parseWeight } from "./spec.js";

const MAX_BODY = 64 * 1024;

export interface AdminServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startAdminServer(
  rollouts: RolloutController,
  host: string,
  port: number,
  logger?: Logger,
): Promise<AdminServer> {
  const server = http.createServer((req, res) => {
    void answer(rollouts, req).then(
      (body) => send(res, 200, body),
      (e) => {
        const err = toServeError(e);
        if (err.status >= 500) logger?.error(`admin ${req.method} ${req.url}: ${err.message}`);
        send(res, err.status, { error: err.message });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const a = server.address() as net.AddressInfo;
  const shown = a.family === "IPv6" ? `[${a.address}]` : a.address;
  return {
    url: `http://${shown}:${a.port}`,
    port: a.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answer(rollouts: RolloutController, req: http.IncomingMessage): Promise<unknown> {
  const path = (req.url ?? "/").split("?")[0];
  const routes: Record<string, string> = {
    "/admin/status": "GET",
    "/admin/rollout": "POST",
    "/admin/rollback": "POST",
  };
  const method = routes[path];
  if (!method)
    throw notFound(`no admin route ${path} (GET /admin/status, POST /admin/rollout, POST /admin/rollback)`);
  if (req.method !== method)
    throw new ServeError(405, `${req.method} is not allowed on ${path} (use ${method})`);
  if (method === "GET") return { rollouts: rollouts.status() };
  const body = await readJson(req);
  const model = body.model;
  if (model !== undefined && typeof model !== "string") throw badRequest(`"model" must be a string`);
  if (path === "/admin/rollback")
    return rollouts.rollback(
      model,
      "admin",
      typeof body.reason === "string" ? body.reason : "POST /admin/rollback",
    );
  if (body.weight === undefined)
    throw badRequest(`POST /admin/rollout needs {"weight": PERCENT}, e.g. {"weight": 10}`);
  let weight: number;
  try {
    weight = parseWeight(body.weight);
  } catch (e) {
    throw badRequest((e as Error).message);
  }
  return rollouts.setWeight(model, weight, "POST /admin/rollout");
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new ServeError(413, `admin request body is over ${MAX_BODY} bytes`);
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text === "") return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw badRequest(`the body is not JSON (${(e as Error).message})`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v))
    throw badRequest("the body must be a JSON object");
  return v as Record<string, unknown>;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + "\n";
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
