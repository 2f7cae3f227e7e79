import { describe, expect, it } from "vitest";
import { jsonRenderer, textRenderer, type BuildEvent } from "./events.js";

const run: BuildEvent[] = [
  { event: "start", config: "/p/mlpack.yaml", steps: ["validate", "bench"] },
  { event: "step-start", step: "validate", index: 1, total: 2 },
  { event: "step-end", step: "validate", status: "cached", ms: 3, summary: "valid for ort-cpu" },
  { event: "step-start", step: "bench", index: 2, total: 2 },
  { event: "progress", step: "bench", fraction: 0.5, message: "measuring batch 8, concurrency 1" },
  { event: "log", step: "bench", level: "warn", message: "warm-up did not stabilise" },
  { event: "step-end", step: "bench", status: "failed", ms: 2500, summary: "performance gate failed" },
  { event: "done", status: "failed", ms: 2600, manifest: "/p/dist/mlpack-manifest.json" },
];

function render(tty: boolean, color = false): string {
  let out = "";
  let t = 0;
  const emit = textRenderer({ write: (s) => (out += s), tty, color, now: () => (t += 100) });
  for (const e of run) emit(e);
  return out;
}

describe("build output", () => {
  it("prints an ordered step list with statuses and timings, and no control codes off a terminal", () => {
    const out = render(false);
    expect(out).toBe(
      [
        "mlpack build: /p/mlpack.yaml",
        "steps: validate → bench",
        "[1/2] validate cached 3 ms  valid for ort-cpu",
        "  warning: warm-up did not stabilise",
        "[2/2] bench failed 2.5 s  performance gate failed",
        "build failed after 2.6 s; manifest: /p/dist/mlpack-manifest.json",
        "",
      ].join("\n"),
    );
  });

  it("draws a live progress bar on a terminal and clears it before the step's final line", () => {
    const out = render(true, true);
    expect(out).toContain("[2/2] bench [##########----------]  50%");
    expect(out).toContain("measuring batch 8, concurrency 1");
    expect(out).toContain("\r\u001b[2K");
    expect(out).toContain("\u001b[31mfailed\u001b[0m");
    // Every live line is erased before the next permanent line is written.
    const lastLive = out.lastIndexOf("measuring batch 8");
    expect(out.indexOf("\r\u001b[2K", lastLive)).toBeLessThan(
      out.indexOf("[2/2] bench \u001b[31mfailed", lastLive),
    );
  });

  it("--json: one parseable event per line, in order", () => {
    let out = "";
    const emit = jsonRenderer((s) => (out += s));
    for (const e of run) emit(e);
    const lines = out.trimEnd().split("\n");
    expect(lines.map((l) => (JSON.parse(l) as BuildEvent).event)).toEqual(run.map((e) => e.event));
  });
});
