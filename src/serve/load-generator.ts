/**
 * A bounded HTTP load generator for the serve benchmark and tests: a fixed number of requests over
 * keep-alive connections, with a hard deadline. It records how each request ended, telling a complete
 * response apart from a refused connection and from a reset or a truncated response.
 *
 * Two engines: "http" is node:http with a keep-alive Agent (what a Node client does); "raw" writes
 * pre-built HTTP/1.1 requests on plain sockets and parses only the status line and Content-Length,
 * like wrk, so that on a small machine the generator takes as little CPU from the server as it can.
 */
import http from "node:http";
import net from "node:net";

export interface LoadOptions {
  /** Full URL of the endpoint (POST). */
  url: string;
  /** Request bodies, used round-robin (request i sends bodies[i % n]). */
  bodies: Uint8Array[];
  headers?: Record<string, string>;
  /** Concurrent request loops, each on its own keep-alive connection. */
  connections: number;
  /** Total requests to send. */
  requests: number;
  /** Loops stop starting requests after this long. */
  deadlineMs: number;
  /** Called with each complete response (for checking bodies). */
  onResponse?: (index: number, status: number, body: Buffer) => void;
  /** Index of the first request (so several generators can split one sequence). */
  firstIndex?: number;
  /** Default "http". */
  engine?: "http" | "raw";
}

export interface LoadResult {
  /** Requests started. */
  sent: number;
  /** Complete responses by HTTP status. */
  statuses: Record<string, number>;
  /** Requests without a complete response, by how they ended (ECONNREFUSED, ECONNRESET, truncated, ...). */
  failures: Record<string, number>;
  elapsedMs: number;
  latenciesMs: number[];
}

type Outcome = "ok" | "refused" | "failed";

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const result: LoadResult = { sent: 0, statuses: {}, failures: {}, elapsedMs: 0, latenciesMs: [] };
  const t0 = performance.now();
  const deadline = t0 + opts.deadlineMs;
  let next = 0;
  const record = (i: number, start: number, status: number, body: Buffer) => {
    const code = String(status);
    result.statuses[code] = (result.statuses[code] ?? 0) + 1;
    result.latenciesMs.push(performance.now() - start);
    opts.onResponse?.(i, status, body);
  };
  const failed = (why: string): Outcome => {
    result.failures[why] = (result.failures[why] ?? 0) + 1;
    return why === "ECONNREFUSED" ? "refused" : "failed";
  };
  const engine = opts.engine === "raw" ? rawEngine(opts, record, failed) : httpEngine(opts, record, failed);

  const loop = async (c: number) => {
    while (next < opts.requests && performance.now() < deadline) {
      const i = (opts.firstIndex ?? 0) + next++;
      result.sent++;
      // Once the server refuses connections it is gone; stop this loop rather than spin.
      if ((await engine.send(c, i)) === "refused") return;
    }
  };
  await Promise.all(Array.from({ length: opts.connections }, (_, c) => loop(c)));
  result.elapsedMs = performance.now() - t0;
  engine.close();
  return result;
}

interface Engine {
  send(connection: number, index: number): Promise<Outcome>;
  close(): void;
}
type Record_ = (i: number, start: number, status: number, body: Buffer) => void;
type Fail = (why: string) => Outcome;

function httpEngine(opts: LoadOptions, record: Record_, failed: Fail): Engine {
  const url = new URL(opts.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
  const send = (_c: number, i: number): Promise<Outcome> =>
    new Promise((resolve) => {
      const body = opts.bodies[i % opts.bodies.length];
      const start = performance.now();
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        resolve(failed(why));
      };
      const req = http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method: "POST",
          headers: { "content-type": "application/json", "content-length": body.length, ...opts.headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("aborted", () => fail("aborted mid-response"));
          res.on("error", (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
          res.on("end", () => {
            if (settled) return;
            const buf = Buffer.concat(chunks);
            const declared = Number(res.headers["content-length"] ?? buf.length);
            if (!res.complete || buf.length !== declared) return fail("truncated response");
            settled = true;
            record(i, start, res.statusCode ?? 0, buf);
            resolve("ok");
          });
        },
      );
      req.on("error", (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
      req.end(body);
    });
  return { send, close: () => agent.destroy() };
}

const HEADER_END = Buffer.from("\r\n\r\n");

function rawEngine(opts: LoadOptions, record: Record_, failed: Fail): Engine {
  const url = new URL(opts.url);
  const [host, port] = [url.hostname, Number(url.port)];
  const head = (len: number) =>
    `POST ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\n` +
    Object.entries(opts.headers ?? {})
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("") +
    `content-length: ${len}\r\n\r\n`;
  const wire = opts.bodies.map((b) => Buffer.concat([Buffer.from(head(b.length)), b]));
  const sockets: (net.Socket | undefined)[] = [];

  const send = (c: number, i: number): Promise<Outcome> =>
    new Promise((resolve) => {
      const start = performance.now();
      let sock = sockets[c];
      if (!sock || sock.destroyed || !sock.writable) {
        sock = sockets[c] = net.connect(port, host);
        sock.setNoDelay(true);
        sock.on("error", () => {}); // errors between requests surface as "close" on the next one
      }
      const s = sock;
      let buf: Buffer = Buffer.alloc(0);
      const done = (o: Outcome) => {
        s.off("data", onData);
        s.off("error", onError);
        s.off("close", onClose);
        resolve(o);
      };
      const onData = (d: Buffer) => {
        buf = buf.length ? Buffer.concat([buf, d]) : d;
        const end = buf.indexOf(HEADER_END);
        if (end < 0) return;
        const headers = buf.subarray(0, end).toString("latin1");
        const len = Number(/\r\ncontent-length: *(\d+)/i.exec(headers)?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        const status = Number(headers.slice(9, 12));
        if (/\r\nconnection: *close/i.test(headers)) s.destroy();
        record(i, start, status, buf.subarray(end + 4, end + 4 + len));
        done("ok");
      };
      const onError = (e: NodeJS.ErrnoException) => {
        s.destroy();
        done(failed(e.code ?? e.message));
      };
      const onClose = () => done(failed(buf.length ? "closed mid-response" : "closed before a response"));
      s.on("data", onData);
      s.on("error", onError);
      s.on("close", onClose);
      s.write(wire[i % wire.length]);
    });
  return { send, close: () => sockets.forEach((s) => s?.destroy()) };
}

/** Sum of per-status counts. */
export function completed(r: LoadResult): number {
  return Object.values(r.statuses).reduce((a, b) => a + b, 0);
}
