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

/** A raw engine's connection: one request at a time, its handlers attached once for its whole life. */
interface RawConn {
  sock: net.Socket;
  /** The request waiting for its response. */
  job?: { i: number; start: number; resolve: (o: Outcome) => void };
  /** Bytes of the response so far. */
  chunks: Buffer[];
  have: number;
  /** Once the head is read: the response's status, where its body starts, its total size, whether the
   * server closes the connection after it. */
  status: number;
  bodyAt: number;
  total: number;
  closes: boolean;
}

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
  const conns: (RawConn | undefined)[] = [];
  const empty: Buffer = Buffer.alloc(0);

  /** Ends the connection's request, if it has one, with what `o` says (read before the state is reset). */
  const settle = (c: RawConn, o: () => Outcome) => {
    const job = c.job;
    if (!job) return;
    const outcome = o();
    c.job = undefined;
    c.chunks = [];
    c.have = 0;
    c.total = -1;
    job.resolve(outcome);
  };
  // Handlers live as long as the socket: adding and removing a "data" listener per request (and the
  // stream's resume that comes with it) cost the generator more CPU than parsing the response.
  const open = (): RawConn => {
    const sock = net.connect(port, host);
    sock.setNoDelay(true);
    const c: RawConn = { sock, chunks: [], have: 0, status: 0, bodyAt: 0, total: -1, closes: false };
    sock.on("data", (d: Buffer) => {
      const job = c.job;
      if (!job) return;
      c.chunks.push(d);
      c.have += d.length;
      if (c.total < 0) {
        const buf = c.chunks.length === 1 ? d : Buffer.concat(c.chunks, c.have);
        const end = buf.indexOf(HEADER_END);
        if (end < 0) return;
        const headers = buf.toString("latin1", 0, end);
        c.status = Number(headers.slice(9, 12));
        c.bodyAt = end + 4;
        c.total = end + 4 + Number(/\r\ncontent-length: *(\d+)/i.exec(headers)?.[1] ?? 0);
        c.closes = /\r\nconnection: *close/i.test(headers);
        c.chunks = [buf];
      }
      if (c.have < c.total) return;
      if (c.closes) sock.destroy();
      // The body is assembled only for a caller that reads it.
      let body = empty;
      if (opts.onResponse) {
        const all = c.chunks.length === 1 ? c.chunks[0] : Buffer.concat(c.chunks, c.have);
        body = all.subarray(c.bodyAt, c.total);
      }
      const status = c.status;
      settle(c, () => {
        record(job.i, job.start, status, body);
        return "ok";
      });
    });
    sock.on("error", (e: NodeJS.ErrnoException) => {
      sock.destroy();
      settle(c, () => failed(e.code ?? e.message));
    });
    sock.on("close", () =>
      settle(c, () => failed(c.have > 0 ? "closed mid-response" : "closed before a response")),
    );
    return c;
  };

  const send = (k: number, i: number): Promise<Outcome> =>
    new Promise((resolve) => {
      let c = conns[k];
      if (!c || c.sock.destroyed || !c.sock.writable) c = conns[k] = open();
      c.job = { i, start: performance.now(), resolve };
      c.sock.write(wire[i % wire.length]);
    });
  return { send, close: () => conns.forEach((c) => c?.sock.destroy()) };
}

/** Sum of per-status counts. */
export function completed(r: LoadResult): number {
  return Object.values(r.statuses).reduce((a, b) => a + b, 0);
}
