/**
 * A local stand-in for the Lambda Runtime API (the HTTP service Lambda runs beside a function), for
 * running a built zip on this machine: the tests and scripts/bench-lambda.mjs use it. It serves
 *   GET  /2018-06-01/runtime/invocation/next          the next event (held open until there is one)
 *   POST /2018-06-01/runtime/invocation/{id}/response the function's result
 *   POST /2018-06-01/runtime/invocation/{id}/error    a handler error
 *   POST /2018-06-01/runtime/init/error               an init (module load) error
 * on 127.0.0.1 only. It is not part of the deployment zip.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export type InvokeOutcome =
  | { type: "response"; payload: unknown; requestId: string }
  | { type: "error"; payload: unknown; errorType?: string; requestId: string };

export interface RuntimeApi {
  /** host:port, the value of AWS_LAMBDA_RUNTIME_API. */
  readonly address: string;
  /** Queues an event; resolves with what the function posts back for it. */
  invoke(event: unknown): Promise<InvokeOutcome>;
  /** The body of POST /init/error, once the function reported one. */
  readonly initError: unknown;
  /** performance.now() when the first GET /next arrived (the end of the function's init). */
  readonly firstNextAt: number | undefined;
  close(): Promise<void>;
}

const PREFIX = "/2018-06-01/runtime";

export async function startRuntimeApi(opts: { deadlineMs?: number } = {}): Promise<RuntimeApi> {
  const queue: { id: string; body: string }[] = [];
  const waiting: http.ServerResponse[] = [];
  const pending = new Map<string, { resolve: (o: InvokeOutcome) => void; reject: (e: Error) => void }>();
  let initError: unknown;
  let firstNextAt: number | undefined;
  let seq = 0;

  const deliver = () => {
    while (queue.length > 0 && waiting.length > 0) {
      const res = waiting.shift()!;
      if (res.destroyed) continue;
      const ev = queue.shift()!;
      res.writeHead(200, {
        "content-type": "application/json",
        "lambda-runtime-aws-request-id": ev.id,
        "lambda-runtime-deadline-ms": String(Date.now() + (opts.deadlineMs ?? 30_000)),
        "lambda-runtime-invoked-function-arn": "arn:aws:lambda:local:000000000000:function:mlpack-test",
        "lambda-runtime-trace-id": `Root=1-00000000-${ev.id.padStart(24, "0")};Sampled=0`,
      });
      res.end(ev.body);
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = req.url ?? "";
      const body = Buffer.concat(chunks).toString("utf8");
      const parse = () => {
        try {
          return JSON.parse(body) as unknown;
        } catch {
          return body;
        }
      };
      if (req.method === "GET" && url === `${PREFIX}/invocation/next`) {
        firstNextAt ??= performance.now();
        waiting.push(res);
        deliver();
        return;
      }
      const m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
      if (req.method === "POST" && m) {
        const p = pending.get(m[1]);
        if (!p) {
          res
            .writeHead(400, { "content-type": "application/json" })
            .end('{"errorMessage":"unknown request id"}');
          return;
        }
        pending.delete(m[1]);
        res.writeHead(202, { "content-type": "application/json" }).end('{"status":"OK"}');
        const errorType = req.headers["lambda-runtime-function-error-type"];
        p.resolve(
          m[2] === "response"
            ? { type: "response", payload: parse(), requestId: m[1] }
            : {
                type: "error",
                payload: parse(),
                errorType: errorType as string | undefined,
                requestId: m[1],
              },
        );
        return;
      }
      if (req.method === "POST" && url === `${PREFIX}/init/error`) {
        initError = parse();
        res.writeHead(202, { "content-type": "application/json" }).end('{"status":"OK"}');
        for (const [id, p] of pending) {
          pending.delete(id);
          p.reject(new Error(`init error: ${body}`));
        }
        return;
      }
      res.writeHead(404, { "content-type": "application/json" }).end('{"errorMessage":"no such route"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    address: `127.0.0.1:${port}`,
    get initError() {
      return initError;
    },
    get firstNextAt() {
      return firstNextAt;
    },
    invoke(event) {
      const id = `req-${++seq}`;
      return new Promise<InvokeOutcome>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        // JSON.stringify(undefined) is undefined; Lambda would send "null".
        queue.push({ id, body: JSON.stringify(event) ?? "null" });
        deliver();
      });
    },
    async close() {
      for (const res of waiting) res.destroy();
      for (const [, p] of pending) p.reject(new Error("runtime API closed"));
      pending.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
