/** Log levels, formats, and the access-log line. */
import { describe, expect, it } from "vitest";
import { createServeLogger, type AccessLogEntry } from "./serve-log.js";

const entry: AccessLogEntry = {
  id: "r1",
  method: "POST",
  path: "/v2/models/mlp/infer",
  route: "infer",
  status: 200,
  model: "mlp",
  version: "1",
  queueMs: 0.12,
  computeMs: 1.5,
  totalMs: 2.25,
  batchSize: 4,
};

function capture(level: "debug" | "info" | "warn" | "error", format: "text" | "json") {
  const out: string[] = [];
  const err: string[] = [];
  const log = createServeLogger({
    level,
    format,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    now: () => new Date(0),
  });
  return { log, out, err };
}

describe("createServeLogger", () => {
  it("writes one text line per inference request, health probes only at debug", () => {
    const { log, out } = capture("info", "text");
    log.access(entry);
    log.access({ ...entry, route: "ready", path: "/v2/health/ready", model: undefined });
    expect(out).toEqual([
      "POST /v2/models/mlp/infer 200 id=r1 model=mlp@1 batch=4 queue=0.12ms compute=1.5ms total=2.25ms",
    ]);
  });

  it("writes JSON objects with every field, and filters by level", () => {
    const { log, out, err } = capture("warn", "json");
    log.info("hidden");
    log.access(entry);
    log.warn("careful");
    expect(out).toEqual([]);
    expect(err.map((l) => JSON.parse(l))).toEqual([
      { time: "1970-01-01T00:00:00.000Z", level: "warn", msg: "careful" },
    ]);
    const all = capture("debug", "json");
    all.log.access(entry);
    expect(JSON.parse(all.out[0])).toEqual({
      time: "1970-01-01T00:00:00.000Z",
      level: "info",
      msg: "request",
      ...entry,
    });
  });
});
