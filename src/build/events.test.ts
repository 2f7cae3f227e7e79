import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { fitWidth, jsonRenderer, textRenderer, type BuildEvent } from "./events.js";

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

  it("fits live redraws and step lines to the terminal's width, cutting summaries with … at a word", () => {
    let out = "";
    let t = 0;
    const columns = 40;
    const emit = textRenderer({
      write: (s) => (out += s),
      tty: true,
      color: true,
      columns: () => columns,
      now: () => (t += 100),
    });
    const summary =
      "mlp.int8.onnx vs model.onnx: batch 1: median ×1.209 regressed, batch 8: median ×1.173 regressed";
    emit({ event: "step-start", step: "bench", index: 3, total: 6 });
    emit({
      event: "progress",
      step: "bench",
      fraction: 0.42,
      message: "measuring batch 8, concurrency 1 with a long message",
    });
    emit({ event: "step-end", step: "bench", status: "ok", ms: 7900, summary });
    emit({ event: "done", status: "ok", ms: 8000, manifest: "/p/dist/mlpack-manifest.json" });
    // Every redraw (what follows each "erase line") fits in the width, so none wraps into a ghost row.
    const strip = (s: string) => stripVTControlCharacters(s);
    const draws = out
      .split("\r\u001b[2K")
      .map((d) => strip(d).split("\n")[0])
      .filter((d) => !d.startsWith("build ok")); // the last line is permanent: it may wrap
    for (const d of draws) expect([...d].length, JSON.stringify(d)).toBeLessThan(columns);
    expect(out).toContain(" 42%");
    const stepLine = strip(out)
      .split("\n")
      .find((l) => l.includes("[3/6] bench ok"))!
      .split("\r")
      .at(-1)!;
    expect([...stepLine].length).toBeLessThan(columns);
    expect(stepLine).toMatch(/…$/);
    // Cut between words: the text before … is a prefix of the summary ending on a whole word.
    const kept = stepLine.split("  ").slice(1).join("  ").slice(0, -1);
    expect(summary.startsWith(kept)).toBe(true);
    expect(summary[kept.length]).toBe(" ");
  });

  it("keeps whole summaries off a terminal (logs, CI)", () => {
    let out = "";
    const emit = textRenderer({ write: (s) => (out += s), tty: false, color: false, columns: () => 20 });
    const summary = "a summary far longer than twenty columns, kept whole in logs";
    emit({ event: "step-start", step: "tfjs", index: 1, total: 1 });
    emit({ event: "step-end", step: "tfjs", status: "ok", ms: 5, summary });
    expect(out).toContain(summary);
  });

  it("fitWidth: unchanged when it fits, … at a word boundary near the end, else mid-word", () => {
    expect(fitWidth("short", 10)).toBe("short");
    expect(fitWidth("alpha beta gamma", 12)).toBe("alpha beta…");
    expect(fitWidth("abcdefghijklmnop", 8)).toBe("abcdefg…");
    expect([...fitWidth("x ".repeat(50), 30)].length).toBeLessThanOrEqual(30);
  });
});
