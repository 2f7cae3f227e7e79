/**
 * The node:http transport: body limits (413), connection tracking, and a graceful drain.
 *
 * Drain (SIGTERM): the listening socket closes first, so new connections are refused; every request
 * already on a connection is answered in full, with `Connection: close`; connections that sit idle are
 * closed after a grace period rather than at once, because closing an idle keep-alive connection races
 * with a request the client may be sending on it (the client would see a reset, not a response).
 */
import http from "node:http";
import net from "node:net";
import type { Logger } from "../log.js";
import { silentLogger } from "../log.js";
import { encodeError } from "./protocol.js";
import { payloadTooLarge } from "./errors.js";
import { handleRequest, type RouterResponse } from "./router.js";
import type { AccessLogEntry } from "./serve-log.js";
import type { ModelService } from "./service.js";

export interface HttpServerOptions {
  maxBody: number;
  /** Node's headersTimeout: the request line and headers must arrive within this (else 408). */
  headersTimeoutMs?: number;
  /** Node's requestTimeout: the whole request, body included, must arrive within this (else 408). */
  bodyTimeoutMs?: number;
  /** Open connections at most; further ones are closed at once. */
  maxConnections?: number;
  logger?: Logger;
  /** One entry per request (see serve-log.ts). */
  accessLog?: (entry: AccessLogEntry) => void;
  /** During a drain, idle connections are closed after this long without a new request. */
  drainIdleMs?: number;
  keepAliveTimeoutMs?: number;
}

export interface ListenAddress {
  host: string;
  port: number;
  url: string;
}

export interface ShutdownResult {
  /** True when every accepted request got its response before the timeout. */
  clean: boolean;
  /** Requests cut off by the timeout. */
  abandoned: number;
  /** Worker threads still inside an onnxruntime run (they keep the process from exiting). */
  stuckWorkers: number;
}

export interface HttpServer {
  readonly server: http.Server;
  listen(port: number, host: string): Promise<ListenAddress>;
  /**
   * Stops accepting, answers what was accepted, then closes the service. `others` are further
   * transports on the same service (gRPC): they drain alongside, under the same timeout.
   */
  shutdown(timeoutMs: number, others?: Drainable[]): Promise<ShutdownResult>;
}

/** Another transport on the same service, drained with the HTTP server on shutdown. */
export interface Drainable {
  /** Stops taking requests; resolves once every accepted one is answered. */
  drain(): Promise<void>;
  /** Cuts off what is still running; returns how many requests that was. */
  abort(): number;
}

interface ConnState {
  active: number;
  /** Bumped on every request, so an idle-close timer can tell whether the connection was used since. */
  uses: number;
  idleTimer?: NodeJS.Timeout;
}

/** How long a connection answered 400/408 by clientError may stay open for the client to read it. */
const CLIENT_ERROR_LINGER_MS = 1000;

export function createHttpServer(service: ModelService, opts: HttpServerOptions): HttpServer {
  const logger = opts.logger ?? silentLogger;
  const drainIdleMs = opts.drainIdleMs ?? 1000;
  const conns = new Map<net.Socket, ConnState>();
  let draining = false;
  let onSettled: (() => void) | undefined;

  const settledCheck = () => {
    if (draining && conns.size === 0) onSettled?.();
  };

  const closeIfIdle = (socket: net.Socket, st: ConnState) => {
    clearTimeout(st.idleTimer);
    const uses = st.uses;
    st.idleTimer = setTimeout(() => {
      if (st.active === 0 && st.uses === uses) socket.end();
    }, drainIdleMs);
  };

  const headersTimeout = opts.headersTimeoutMs ?? 10_000;
  const requestTimeout = Math.max(opts.bodyTimeoutMs ?? 30_000, headersTimeout);
  const serverOptions: http.ServerOptions = {
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 5000,
    headersTimeout,
    requestTimeout,
    // Node checks both timeouts on this interval (30 s by default), so it bounds their precision.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
  };
  const server = http.createServer(serverOptions, (req, res) => {
    const socket = req.socket;
    const st = conns.get(socket);
    if (st) {
      st.active++;
      st.uses++;
      clearTimeout(st.idleTimer);
      res.once("close", () => {
        st.active--;
        if (draining && st.active === 0 && !socket.destroyed) closeIfIdle(socket, st);
      });
    }
    serveOne(req, res).catch((e: Error) => {
      // Only transport failures land here (the client went away mid-body); the router never throws.
      logger.debug(`${req.method} ${req.url}: ${e.message}`);
      res.destroy();
    });
  });

  if (opts.maxConnections !== undefined) server.maxConnections = opts.maxConnections;

  server.on("connection", (socket: net.Socket) => {
    const st: ConnState = { active: 0, uses: 0 };
    conns.set(socket, st);
    socket.once("close", () => {
      clearTimeout(st.idleTimer);
      conns.delete(socket);
      settledCheck();
    });
  });

  server.on("clientError", (err: NodeJS.ErrnoException, socket: net.Socket) => {
    if (err.code === "ECONNRESET" || !socket.writable) return void socket.destroy();
    const timedOut = err.code === "ERR_HTTP_REQUEST_TIMEOUT";
    const body = encodeError(
      timedOut
        ? `the request did not arrive in time (headers within ${headersTimeout} ms, the whole request within ${requestTimeout} ms: --headers-timeout-ms, --body-timeout-ms)`
        : `malformed HTTP request: ${err.message}`,
    ).body;
    const status = timedOut ? "408 Request Timeout" : "400 Bad Request";
    socket.end(
      `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body.toString()}`,
    );
    // end() only half-closes (node:http allows half-open sockets): a client that never reads nor
    // closes kept the socket, and its --max-connections slot, forever. A moment to read the answer.
    const linger = setTimeout(() => socket.destroy(), CLIENT_ERROR_LINGER_MS);
    socket.once("close", () => clearTimeout(linger));
  });

  async function serveOne(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const declared = Number(req.headers["content-length"] ?? 0);
    let result: RouterResponse;
    const t0 = performance.now();
    const logTooLarge = () => {
      const id = req.headers["x-request-id"];
      opts.accessLog?.({
        id: typeof id === "string" ? id.slice(0, 128) : "-",
        method: req.method ?? "?",
        path: (req.url ?? "/").split("?")[0],
        route: "unknown",
        status: 413,
        totalMs: Math.round((performance.now() - t0) * 100) / 100,
      });
      return tooLarge();
    };
    if (declared > opts.maxBody) {
      result = logTooLarge();
    } else {
      const body = await readBody(req, opts.maxBody);
      if (body === undefined) result = logTooLarge();
      else {
        const q = (req.url ?? "/").indexOf("?");
        const url = req.url ?? "/";
        result = await handleRequest(
          service,
          {
            method: req.method ?? "GET",
            path: q < 0 ? url : url.slice(0, q),
            query: new URLSearchParams(q < 0 ? "" : url.slice(q + 1)),
            headers: req.headers,
            body,
          },
          { logger, accessLog: opts.accessLog },
        );
      }
    }
    if (res.destroyed) return;
    const headers: Record<string, string | number> = {
      ...result.headers,
      "content-length": result.body.length,
    };
    if (draining || result.status === 413) headers.connection = "close";
    res.writeHead(result.status, headers);
    res.end(result.body);
  }

  function tooLarge(): RouterResponse {
    const e = payloadTooLarge(opts.maxBody);
    service.metrics.requests.inc({ route: "unknown", model: "", version: "", code: "413" });
    return {
      status: 413,
      headers: { "content-type": "application/json" },
      body: encodeError(e.message).body,
    };
  }

  return {
    server,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          const a = server.address() as net.AddressInfo;
          const shown = a.family === "IPv6" ? `[${a.address}]` : a.address;
          resolve({ host: a.address, port: a.port, url: `http://${shown}:${a.port}` });
        });
      });
    },
    async shutdown(timeoutMs, others = []) {
      const deadline = performance.now() + timeoutMs;
      draining = true;
      service.drain();
      // net.Server#close stops accepting but, unlike http.Server#close, leaves idle keep-alive
      // connections open; we close those ourselves after the grace period (see the file comment).
      net.Server.prototype.close.call(server);
      for (const [socket, st] of conns) if (st.active === 0) closeIfIdle(socket, st);
      const httpSettled = new Promise<void>((resolve) => {
        onSettled = resolve;
        settledCheck();
      });
      const settled = Promise.all([httpSettled, ...others.map((o) => o.drain())]);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        settled.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
      ]);
      clearTimeout(timer);
      let abandoned = 0;
      if (timedOut) {
        for (const [socket, st] of conns) {
          abandoned += st.active;
          socket.destroy();
        }
        for (const o of others) abandoned += o.abort();
        logger.warn(`shutdown timed out after ${timeoutMs} ms; ${abandoned} request(s) were cut off`);
      }
      // Workers get what is left of the timeout (at least half a second) to finish and exit; a thread
      // stuck in a run is abandoned, so the whole shutdown stays within timeoutMs + 1 s.
      const { stuck } = await service.close(Math.max(500, deadline - performance.now()));
      if (stuck > 0) logger.warn(`${stuck} worker thread(s) are still inside an onnxruntime run`);
      return { clean: !timedOut, abandoned, stuckWorkers: stuck };
    },
  };
}

/** The whole body, or undefined once it passes `limit` (the rest is discarded, not buffered). */
function readBody(req: http.IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve(undefined);
      } else chunks.push(c);
    });
    req.on("end", () => {
      if (!over) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    req.on("error", reject);
  });
}
