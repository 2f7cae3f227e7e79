/**
 * What `mlpack build` tells the user while it runs: an ordered list of steps with timings, live progress
 * on a terminal, and the same events as JSON lines for machines (`--json`). The orchestrator only emits
 * events; the renderers here decide how they look.
 */
import path from "node:path";
import type { Logger } from "../log.js";
import { printable, printableLines } from "../printable.js";

export type StepStatus = "ok" | "cached" | "skipped" | "failed";

export type BuildEvent =
  | { event: "start"; config: string; steps: string[] }
  | { event: "step-start"; step: string; index: number; total: number }
  | { event: "progress"; step: string; fraction?: number; message?: string }
  | { event: "log"; step: string; level: "info" | "warn"; message: string }
  | { event: "step-end"; step: string; status: StepStatus; ms: number; summary: string }
  | { event: "done"; status: "ok" | "failed"; ms: number; manifest: string; error?: string };

export type EmitFn = (e: BuildEvent) => void;

export interface RenderOptions {
  write: (s: string) => void;
  /** Live progress lines (carriage returns): only on a terminal. */
  tty: boolean;
  color: boolean;
  now?: () => number;
  /**
   * The terminal's width (read at each draw, so a resize is followed). On a terminal, live lines and
   * step lines are cut to it with "…" so nothing wraps: a wrapped live line leaves ghost rows that
   * "\r" cannot erase. Without it, lines are not cut.
   */
  columns?: () => number | undefined;
}

/** `s` cut to `width` columns with "…", at a word boundary when one is near; unchanged when it fits. */
export function fitWidth(s: string, width: number): string {
  const chars = [...s];
  if (chars.length <= width) return s;
  if (width <= 1) return "…".slice(0, Math.max(0, width));
  let cut = chars.slice(0, width - 1).join("");
  const space = cut.lastIndexOf(" ");
  // Prefer ending on a whole word unless that would throw away most of the line.
  if (space > width * 0.6) cut = cut.slice(0, space);
  return cut.trimEnd() + "…";
}

/** A path as the user sees it: relative to the working directory when that is shorter. */
export function shownPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && rel.length < p.length ? rel : p;
}

/** Artifact sizes in the step lines and the summary. */
export { formatBytes as fmtMiB } from "../format-bytes.js";

const fmtMs = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

/** JSON lines, one event per line, for CI logs and scripts. */
export function jsonRenderer(write: (s: string) => void): EmitFn {
  return (e) => write(JSON.stringify(e) + "\n");
}

function bar(fraction: number, width = 20): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * width);
  return `[${"#".repeat(full)}${"-".repeat(width - full)}] ${String(Math.round(f * 100)).padStart(3)}%`;
}

/** The human view: `[2/6] quantize ... ok 1.3 s  int8 dynamic, 0.26x size, cosine 0.99991`. */
export function textRenderer(opts: RenderOptions): EmitFn {
  const now = opts.now ?? (() => performance.now());
  const paint = (code: number, s: string) => (opts.color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const statusColor: Record<StepStatus, number> = { ok: 32, cached: 36, skipped: 90, failed: 31 };
  let live = false;
  let stepStart = 0;
  let label = "";
  let fraction: number | undefined;
  let message = "";
  let timer: ReturnType<typeof setInterval> | undefined;
  // One column is left free: writing into the last one wraps on some terminals.
  const width = () => {
    const c = opts.columns?.();
    return c === undefined ? Infinity : Math.max(20, c - 1);
  };
  // The bar shrinks on narrow terminals so the percentage and elapsed time stay visible.
  const barWidth = () => Math.max(5, Math.min(20, width() - label.length - 30));
  const clearLive = () => {
    if (live) opts.write("\r\u001b[2K");
    live = false;
  };
  const drawLive = () => {
    clearLive();
    opts.write(
      fitWidth(
        `${label} ${fraction !== undefined ? bar(fraction, barWidth()) + " " : ""}${fmtMs(now() - stepStart)}${message ? `  ${message}` : ""}`,
        width(),
      ),
    );
    live = true;
  };
  const stopTimer = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  return (e) => {
    switch (e.event) {
      case "start":
        opts.write(`mlpack build: ${shownPath(e.config)}\nsteps: ${e.steps.join(" → ")}\n`);
        break;
      case "step-start":
        stepStart = now();
        label = `[${e.index}/${e.total}] ${e.step}`;
        fraction = undefined;
        message = "";
        if (opts.tty) {
          drawLive();
          // Redraw the elapsed time while a long step says nothing; never keeps the process alive.
          timer = setInterval(drawLive, 250);
          timer.unref?.();
        }
        break;
      case "progress":
        if (e.fraction !== undefined) fraction = e.fraction;
        if (e.message !== undefined) message = printable(e.message);
        if (opts.tty) drawLive();
        break;
      case "log":
        clearLive();
        opts.write(
          e.level === "warn"
            ? `  ${paint(33, "warning:")} ${printableLines(e.message)}\n`
            : `  ${paint(90, printableLines(e.message))}\n`,
        );
        break;
      case "step-end": {
        stopTimer();
        clearLive();
        const head = `${label || e.step} ${e.status} ${fmtMs(e.ms)}`;
        // On a terminal the summary is cut to the width (the manifest keeps it whole); in a log, whole.
        const summary = e.summary && opts.tty ? fitWidth(e.summary, width() - head.length - 2) : e.summary;
        opts.write(
          `${label || e.step} ${paint(statusColor[e.status], e.status)} ${fmtMs(e.ms)}${summary ? `  ${printable(summary)}` : ""}\n`,
        );
        label = "";
        break;
      }
      case "done":
        stopTimer();
        clearLive();
        opts.write(
          e.status === "ok"
            ? `${paint(32, "build ok")} in ${fmtMs(e.ms)}; manifest: ${shownPath(e.manifest)}\n`
            : `${paint(31, "build failed")} after ${fmtMs(e.ms)}; manifest: ${shownPath(e.manifest)}\n`,
        );
        break;
    }
  };
}

/** A Logger for one step whose lines become build events (the step's own progress and warnings). */
export function stepLogger(step: string, emit: EmitFn): Logger & { progress(f?: number, m?: string): void } {
  return {
    info: (message) => emit({ event: "progress", step, message }),
    warn: (message) => emit({ event: "log", step, level: "warn", message }),
    error: (message) => emit({ event: "log", step, level: "warn", message }),
    debug: () => {},
    progress: (fraction, message) => emit({ event: "progress", step, fraction, message }),
  };
}
