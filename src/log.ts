/** The only place that writes to the terminal. Everything else takes a Logger. */
import { printableLines } from "./printable.js";

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
  /** Live progress of a long phase (fraction 0..1 when known); loggers without a progress line omit it. */
  progress?(fraction?: number, message?: string): void;
}

export interface ConsoleLoggerOptions {
  verbose?: boolean;
  color?: boolean;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

export function shouldUseColor(stream: NodeJS.WritableStream & { isTTY?: boolean }): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "") return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true;
}

export function createConsoleLogger(opts: ConsoleLoggerOptions = {}): Logger {
  const out = opts.out ?? process.stdout;
  const err = opts.err ?? process.stderr;
  const color = opts.color ?? shouldUseColor(err);
  const paint = (code: number, s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  // Log lines of bench, quantize, build and serve carry model names: no raw control characters.
  return {
    info: (m) => void out.write(printableLines(m) + "\n"),
    warn: (m) => void err.write(paint(33, "warning: ") + printableLines(m) + "\n"),
    error: (m) => void err.write(paint(31, "error: ") + printableLines(m) + "\n"),
    debug: (m) => {
      if (opts.verbose) err.write(paint(90, printableLines(m)) + "\n");
    },
  };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} };
