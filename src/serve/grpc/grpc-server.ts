/**
 * The gRPC transport (--grpc-port): KServe's Open Inference Protocol v2 GRPCInferenceService
 * (grpc_predict_v2.proto, vendored beside this file) on the same ModelService as the HTTP server, so
 * requests from both share the batcher, the workers, the cache and the metrics. ServeError statuses
 * map to gRPC status codes (400 → INVALID_ARGUMENT, 404 → NOT_FOUND, 503 → UNAVAILABLE, 504 →
 * DEADLINE_EXCEEDED); a failing call never affects another.
 *
 * Built on @grpc/grpc-js (pure JS, maintained by the gRPC project) and @grpc/proto-loader, which loads
 * the .proto at start-up: no generated code to keep in step with the protocol file.
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { Logger } from "../../log.js";
import { silentLogger } from "../../log.js";
import { toServeError, ServeError } from "../errors.js";
import type { ModelService } from "../service.js";
import { ms, type AccessLogEntry } from "../serve-log.js";
import { fromGrpcRequest, toGrpcResponse, type ModelInferRequest } from "./tensors.js";

const PROTO = fileURLToPath(new URL("./grpc_predict_v2.proto", import.meta.url));
const SERVICE_PATH = "/inference.GRPCInferenceService/";

export interface GrpcServerOptions {
  /** Largest request message (--max-body). */
  maxMessageBytes: number;
  logger?: Logger;
  accessLog?: (entry: AccessLogEntry) => void;
}

export interface GrpcServer {
  listen(port: number, host: string): Promise<{ host: string; port: number }>;
  /** Stops taking calls; resolves when every accepted call has been answered. */
  drain(): Promise<void>;
  /** Cuts off the calls still running; returns how many there were. */
  abort(): number;
}

let definition: grpc.GrpcObject | undefined;

function loadService(): grpc.ServiceDefinition {
  definition ??= grpc.loadPackageDefinition(
    protoLoader.loadSync(PROTO, {
      keepCase: true,
      // int64 as decimal strings: exact for any value (numbers would lose digits past 2^53).
      longs: String,
      defaults: false,
      arrays: true,
    }),
  );
  const inference = definition.inference as grpc.GrpcObject;
  const service = (inference.GRPCInferenceService as grpc.ServiceClientConstructor).service;
  // grpc-js answers a message that does not decode with INTERNAL ("Error deserializing request"):
  // the client's fault, so decoding failures reach the handler, which answers INVALID_ARGUMENT.
  return Object.fromEntries(
    Object.entries(service).map(([name, method]) => [
      name,
      {
        ...method,
        requestDeserialize: (bytes: Buffer): unknown => {
          try {
            return method.requestDeserialize(bytes);
          } catch (e) {
            return new Undecodable((e as Error).message);
          }
        },
      },
    ]),
  ) as grpc.ServiceDefinition;
}

/** A request message that did not decode (see loadService). */
class Undecodable {
  constructor(readonly reason: string) {}
}

/** gRPC status for a ServeError's HTTP status. */
export function grpcCode(status: number): grpc.status {
  switch (status) {
    case 400:
      return grpc.status.INVALID_ARGUMENT;
    case 404:
      return grpc.status.NOT_FOUND;
    case 413:
      return grpc.status.RESOURCE_EXHAUSTED;
    case 503:
      return grpc.status.UNAVAILABLE;
    case 504:
      return grpc.status.DEADLINE_EXCEEDED;
    default:
      return status < 500 ? grpc.status.FAILED_PRECONDITION : grpc.status.INTERNAL;
  }
}

type Unary = (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => void;

export function createGrpcServer(service: ModelService, opts: GrpcServerOptions): GrpcServer {
  const logger = opts.logger ?? silentLogger;
  const server = new grpc.Server({
    "grpc.max_receive_message_length": opts.maxMessageBytes,
    "grpc.max_send_message_length": -1,
  });
  const m = service.metrics;
  let active = 0;

  /**
   * One RPC: metrics, access log and error mapping, like router.ts does for HTTP. `label` is the
   * route label shared with the HTTP routes, so dashboards see both transports in one series.
   */
  const rpc =
    <Req>(
      method: string,
      label: string,
      handler: (
        req: Req,
        ctx: { model?: { name: string; version: string }; entry: Partial<AccessLogEntry> },
      ) => Promise<unknown> | unknown,
    ): Unary =>
    (call, callback) => {
      const t0 = performance.now();
      const ctx: { model?: { name: string; version: string }; entry: Partial<AccessLogEntry> } = {
        entry: {},
      };
      active++;
      m.inflight.inc();
      const finish = (status: number, error?: ServeError) => {
        active--;
        m.inflight.dec();
        const [model, version] = ctx.model ? [ctx.model.name, ctx.model.version] : ["", ""];
        m.requests.inc({ route: label, model, version, code: String(status) });
        const totalMs = performance.now() - t0;
        if (label === "infer") {
          m.requestSeconds.observe({ model, version }, totalMs / 1000);
          // The canary's windows count gRPC requests like REST ones (the rollback rule sees both).
          if (ctx.model) service.rollouts?.record(model, version, status, totalMs / 1000);
        }
        opts.accessLog?.({
          id: ctx.entry.id ?? "-",
          method: "GRPC",
          path: SERVICE_PATH + method,
          route: label,
          status,
          ...(ctx.model ? { model, version } : {}),
          ...ctx.entry,
          totalMs: ms(totalMs),
          ...(error ? { error: error.message } : {}),
        } as AccessLogEntry);
      };
      Promise.resolve()
        .then(() => {
          if (call.request instanceof Undecodable)
            throw new ServeError(
              400,
              `the ${method} request is not a valid protobuf message: ${call.request.reason}`,
            );
          return handler(call.request as Req, ctx);
        })
        .then(
          (reply) => {
            finish(200);
            callback(null, reply);
          },
          (e: unknown) => {
            const err = toServeError(e);
            if (err.status >= 500 && err.status !== 503) logger.error(`gRPC ${method}: ${err.message}`);
            finish(err.status, err);
            callback({ code: grpcCode(err.status), details: err.message });
          },
        );
    };

  type NameReq = { name?: string; version?: string };
  const notReady = () => {
    const r = service.readiness();
    return r.state === "ready" ? "" : r.reason;
  };
  server.addService(loadService(), {
    ServerLive: rpc("ServerLive", "live", () => ({ live: service.isLive() })),
    ServerReady: rpc("ServerReady", "ready", () => ({ ready: service.isReady() })),
    ServerMetadata: rpc("ServerMetadata", "server_metadata", () => service.serverMetadata()),
    ModelReady: rpc<NameReq>("ModelReady", "model_ready", (req, ctx) => {
      const model = (ctx.model = service.resolveModel(req.name ?? "", req.version || undefined));
      const ready = service.isReady();
      if (!ready) logger.debug(`gRPC ModelReady ${model.name}: not ready: ${notReady()}`);
      return { ready };
    }),
    ModelMetadata: rpc<NameReq>("ModelMetadata", "model_metadata", (req, ctx) => {
      ctx.model = service.resolveModel(req.name ?? "", req.version || undefined);
      return service.modelMetadata(ctx.model.name, ctx.model.version);
    }),
    ModelInfer: rpc<ModelInferRequest>("ModelInfer", "infer", async (req, ctx) => {
      // A canary split applies here too (service.route picks the version when none is named).
      const name = req.model_name ?? "";
      const version = req.model_version || undefined;
      const model = (ctx.model = service.route
        ? service.route(name, version)
        : service.resolveModel(name, version));
      const parsed = fromGrpcRequest(req);
      if (parsed.id) ctx.entry.id = parsed.id.slice(0, 128);
      const resp = await service.infer(model.name, model.version, parsed);
      const t = resp.timing;
      Object.assign(ctx.entry, {
        ...(t?.queueMs !== undefined ? { queueMs: ms(t.queueMs) } : {}),
        ...(t?.computeMs !== undefined ? { computeMs: ms(t.computeMs) } : {}),
        ...(t?.batchRows !== undefined ? { batchSize: t.batchRows } : {}),
        ...(t?.cached ? { cached: true } : {}),
      });
      return toGrpcResponse(resp, parsed.raw);
    }),
  } satisfies Record<string, Unary>);

  return {
    listen(port, host) {
      const address = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
      return new Promise((resolve, reject) => {
        server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, bound) => {
          if (err) reject(err);
          else resolve({ host, port: bound });
        });
      });
    },
    drain() {
      return new Promise((resolve) => server.tryShutdown(() => resolve()));
    },
    abort() {
      const cut = active;
      server.forceShutdown();
      return cut;
    },
  };
}
