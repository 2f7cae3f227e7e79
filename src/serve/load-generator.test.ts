import http from "node:http";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { completed, runLoad, type LoadOptions } from "./load-generator.js";

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function listen(server: net.Server): Promise<string> {
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/x`),
    ),
  );
}

/** Answers each request with its body repeated `times` times (large answers arrive in many chunks). */
function echoServer(times: number, extraHeaders: Record<string, string> = {}): Promise<string> {
  return listen(
    http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(Array.from({ length: times }, () => Buffer.concat(chunks)));
        res.writeHead(body[0] === 0x7a ? 404 : 200, { "content-length": body.length, ...extraHeaders });
        res.end(body);
      });
    }),
  );
}

describe.each(["raw", "http"] as const)("runLoad, %s engine", (engine) => {
  const run = (o: Omit<LoadOptions, "engine">) => runLoad({ ...o, engine });

  it("reads every response whole, in many chunks too, with its status, on each connection", async () => {
    const url = await echoServer(20_000); // 20,000 copies of a 5-byte body: 100 KB a response
    const bodies = ["abcde", "zzzzz", "01234"].map((s) => Buffer.from(s));
    const seen: [number, number, string][] = [];
    const r = await run({
      url,
      bodies,
      connections: 4,
      requests: 30,
      deadlineMs: 30_000,
      onResponse: (i, status, body) => seen.push([i, status, body.subarray(0, 10).toString() + body.length]),
    });
    expect(r.sent).toBe(30);
    expect(r.failures).toEqual({});
    expect(r.statuses).toEqual({ "200": 20, "404": 10 });
    expect(r.latenciesMs).toHaveLength(30);
    for (const [i, status, text] of seen) {
      const b = bodies[i % 3].toString();
      expect(text).toBe(b.repeat(2) + 100_000);
      expect(status).toBe(b === "zzzzz" ? 404 : 200);
    }
  });

  it("opens a new connection after a response that closes its own", async () => {
    let connections = 0;
    const url = await echoServer(1, { connection: "close" });
    servers[0].on("connection", () => connections++);
    const r = await run({
      url,
      bodies: [Buffer.from("hi")],
      connections: 2,
      requests: 10,
      deadlineMs: 30_000,
    });
    expect(completed(r)).toBe(10);
    expect(r.failures).toEqual({});
    expect(connections).toBe(10);
  });

  it("tells a refused connection and a response cut short apart", async () => {
    const closed = await listen(net.createServer());
    await new Promise((r) => servers.shift()!.close(r));
    const small = (url: string, connections: number, requests: number) =>
      run({ url, bodies: [Buffer.from("x")], connections, requests, deadlineMs: 5000 });
    const refused = await small(closed, 2, 5);
    expect(refused.statuses).toEqual({});
    expect(refused.failures.ECONNREFUSED).toBe(2); // each loop stops at its first refusal

    const cut = await listen(
      net.createServer((s) =>
        s.once("data", () => s.end("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part")),
      ),
    );
    const r = await small(cut, 1, 3);
    expect(r.statuses).toEqual({});
    expect(r.sent).toBe(3);
    expect(Object.values(r.failures).reduce((a, b) => a + b, 0)).toBe(3);
    if (engine === "raw") expect(r.failures).toEqual({ "closed mid-response": 3 });
  });
});
