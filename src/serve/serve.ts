/** `serve()`: the model service behind the HTTP server, listening; what `mlpack serve` and the Docker image run. */
import { silentLogger, type Logger } from "../log.js";
import { UserError } from "../errors.js";
import { createHttpServer, type HttpServer, type ListenAddress, type ShutdownResult } from "./http-server.js";
import { createModelService, type ModelService, type ModelServiceDeps } from "./service.js";
import type { ServeOptions } from "./options.js";
import type { AccessLogEntry } from "./serve-log.js";
import { withPipelines, type PipelineSpec } from "./pipelines.js";
import { startAdminServer, type AdminServer } from "./canary/admin-server.js";

export interface ServeHandle extends ListenAddress {
  service: ModelService;
  http: HttpServer;
  /** The rollout admin endpoint, when --admin-port was given. */
  admin?: AdminServer;
  /** The gRPC listener's address, when --grpc-port was given. */
  grpc?: { host: string; port: number };
  /** Graceful stop: refuse new connections, answer accepted requests, stop the workers. */
  close(): Promise<ShutdownResult>;
}

export async function serve(
  options: ServeOptions,
  deps: ModelServiceDeps & {
    logger?: Logger;
    accessLog?: (entry: AccessLogEntry) => void;
    /** Chains of served models exposed as one more model (--pipeline). */
    pipelines?: PipelineSpec[];
  } = {},
): Promise<ServeHandle> {
  const logger = deps.logger ?? silentLogger;
  const models = await createModelService(options, deps);
  let service: ModelService;
  try {
    service = withPipelines(models, deps.pipelines ?? []);
  } catch (e) {
    await models.close();
    throw e;
  }
  const http = createHttpServer(service, {
    maxBody: options.maxBody,
    headersTimeoutMs: options.headersTimeoutMs,
    bodyTimeoutMs: options.bodyTimeoutMs,
    maxConnections: options.maxConnections,
    logger,
    accessLog: deps.accessLog,
  });
  let address: ListenAddress;
  try {
    address = await http.listen(options.port, options.host);
  } catch (e) {
    await service.close();
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`cannot listen on ${options.host}:${options.port}: ${code ?? (e as Error).message}`, {
      hint:
        code === "EADDRINUSE"
          ? "another process has this port; pick another with --port (0 picks a free one)"
          : "check --host and --port",
    });
  }
  // gRPC's libraries (grpc-js, proto-loader, protobufjs: ~190 files) load only when --grpc-port asks
  // for it; importing them on every start was about a fifth of the time to the first request.
  const grpc =
    options.grpcPort === undefined
      ? undefined
      : (await import("./grpc/grpc-server.js")).createGrpcServer(service, {
          maxMessageBytes: options.maxBody,
          logger,
          accessLog: deps.accessLog,
        });
  let grpcAddress: { host: string; port: number } | undefined;
  if (grpc) {
    try {
      grpcAddress = await grpc.listen(options.grpcPort!, options.host);
    } catch (e) {
      await http.shutdown(0);
      throw new UserError(
        `cannot listen for gRPC on ${options.host}:${options.grpcPort}: ${(e as Error).message}`,
        {
          hint: "pick another port with --grpc-port (0 picks a free one)",
        },
      );
    }
  }
  let admin: AdminServer | undefined;
  if (options.adminPort !== undefined && service.rollouts)
    try {
      admin = await startAdminServer(service.rollouts, options.adminHost, options.adminPort, logger);
    } catch (e) {
      await http.shutdown(0, grpc ? [grpc] : []);
      const code = (e as NodeJS.ErrnoException).code;
      throw new UserError(
        `cannot listen on ${options.adminHost}:${options.adminPort} for the admin endpoint: ${code ?? (e as Error).message}`,
        { hint: "pick another --admin-port (0 picks a free one)" },
      );
    }
  let closing: Promise<ShutdownResult> | undefined;
  return {
    ...address,
    service,
    http,
    ...(admin ? { admin } : {}),
    ...(grpcAddress ? { grpc: grpcAddress } : {}),
    close: () =>
      (closing ??= (async () => {
        await admin?.close();
        return http.shutdown(options.shutdownTimeoutMs, grpc ? [grpc] : []);
      })()),
  };
}
