/** A real gRPC client (@grpc/grpc-js) for the OIP v2 service, loaded from the vendored .proto. */
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { REPO } from "./cli.js";

export interface GrpcReply<T> {
  ok: boolean;
  value?: T;
  code?: grpc.status;
  details?: string;
}

export interface OipGrpcClient {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call<T = any>(method: string, request: object, deadlineMs?: number): Promise<GrpcReply<T>>;
  close(): void;
}

export function oipGrpcClient(address: string): OipGrpcClient {
  const def = protoLoader.loadSync(path.join(REPO, "src/serve/grpc/grpc_predict_v2.proto"), {
    keepCase: true,
    longs: String,
    defaults: true,
    arrays: true,
  });
  const pkg = grpc.loadPackageDefinition(def).inference as grpc.GrpcObject;
  const Ctor = pkg.GRPCInferenceService as grpc.ServiceClientConstructor;
  const client = new Ctor(address, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": -1,
    "grpc.max_send_message_length": -1,
  });
  return {
    call(method, request, deadlineMs = 30_000) {
      return new Promise((resolve) => {
        const fn = client[method] as (
          req: object,
          opts: grpc.CallOptions,
          cb: (err: grpc.ServiceError | null, value: unknown) => void,
        ) => void;
        fn.call(client, request, { deadline: Date.now() + deadlineMs }, (err, value) =>
          resolve(
            err ? { ok: false, code: err.code, details: err.details } : { ok: true, value: value as never },
          ),
        );
      });
    },
    close: () => client.close(),
  };
}
