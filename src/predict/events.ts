/**
 * What `mlpack predict` tells the user while it runs: a live progress bar (rows, rows/s, ETA) on a
 * terminal, one line per part with --verbose, a final summary; the same events as JSON lines (--json).
 */
import { shownPath } from "../build/events.js";

export type PredictEvent =
  | {
      event: "start";
      model: string;
      files: number;
      /** Rows this run (or shard) covers, after --where. */
      rows: number;
      /** Rows already done by the run being resumed. */
      resumed: number;
      shard?: string;
      output: string;
    }
  | { event: "progress"; rows: number; total: number; rowsPerSec: number; etaSec?: number }
  | { event: "part"; index: number; read: number; written: number; rejected: number }
  | {
      event: "done";
      status: "ok";
      read: number;
      written: number;
      rejected: number;
      ms: number;
      output: string;
      rejects?: string;
    };

export type PredictEmit = (e: PredictEvent) => void;

/** JSON lines, one event per line, for CI logs and scripts. */
export function jsonRenderer(write: (s: string) => void): PredictEmit {
  return (e) => write(JSON.stringify(e) + "\n");
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const dur = (s: number) =>
  s < 60
    ? `${Math.round(s)} s`
    : s < 3600
      ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`
      : `${(s / 3600).toFixed(1)} h`;

export function progressLine(e: Extract<PredictEvent, { event: "progress" }>, width = 20): string {
  const f = e.total > 0 ? Math.min(1, e.rows / e.total) : 1;
  const full = Math.round(f * width);
  return (
    `predict [${"#".repeat(full)}${"-".repeat(width - full)}] ${String(Math.round(f * 100)).padStart(3)}%  ` +
    `${int(e.rows)}/${int(e.total)} rows  ${int(e.rowsPerSec)} rows/s` +
    (e.etaSec !== undefined ? `  ETA ${dur(e.etaSec)}` : "")
  );
}

export function textRenderer(opts: {
  write: (s: string) => void;
  tty: boolean;
  verbose?: boolean;
}): PredictEmit {
  let live = false;
  const clear = () => {
    if (live) opts.write("\r\u001b[2K");
    live = false;
  };
  return (e) => {
    switch (e.event) {
      case "start":
        opts.write(
          `mlpack predict: ${shownPath(e.model)} on ${e.files} file${e.files === 1 ? "" : "s"}, ${int(e.rows)} rows` +
            (e.shard ? ` (shard ${e.shard})` : "") +
            (e.resumed > 0 ? `; resuming after ${int(e.resumed)} rows` : "") +
            "\n",
        );
        break;
      case "progress":
        if (!opts.tty) break;
        clear();
        opts.write(progressLine(e));
        live = true;
        break;
      case "part":
        if (!opts.verbose) break;
        clear();
        opts.write(`  part ${e.index}: ${int(e.written)} rows written, ${int(e.rejected)} rejected\n`);
        break;
      case "done":
        clear();
        opts.write(
          `predict ok: read ${int(e.read)} rows, wrote ${int(e.written)}, rejected ${int(e.rejected)} in ` +
            `${(e.ms / 1000).toFixed(1)} s (${int(e.read / Math.max(e.ms / 1000, 1e-3))} rows/s)\n` +
            `  output: ${shownPath(e.output)}` +
            (e.rejects ? `\n  rejects: ${shownPath(e.rejects)}` : "") +
            "\n",
        );
        break;
    }
  };
}
