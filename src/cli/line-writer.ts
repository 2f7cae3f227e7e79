/** Feeds a writer that wants whole lines (CliIo adds the newline) from text that arrives in pieces. */
export function lineWriter(writeLine: (s: string) => void): (s: string) => void {
  let buf = "";
  return (s) => {
    buf += s;
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      writeLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  };
}

/**
 * Lines written together every `delayMs` (or once `maxPending` wait) instead of one write each:
 * process.stdout is synchronous for files and pipes, and serve's access log (a line per request) paid
 * a write system call, and a wake-up of whatever reads the pipe, per request; at concurrency 1 that
 * was a sixth of the server's CPU time. `flush` writes what is pending now; call it before exiting.
 */
export function coalescingLines(
  writeText: (s: string) => void,
  opts: { delayMs?: number; maxPending?: number } = {},
): { add: (line: string) => void; flush: () => void } {
  const delayMs = opts.delayMs ?? 20;
  const maxPending = opts.maxPending ?? 256;
  let pending: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const text = pending.join("\n");
    pending = [];
    writeText(text);
  };
  return {
    add(line) {
      pending.push(line);
      if (pending.length >= maxPending) flush();
      else timer ??= setTimeout(flush, delayMs).unref();
    },
    flush,
  };
}
