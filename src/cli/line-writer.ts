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
 * Lines written together once per event-loop turn instead of one write each: process.stdout is
 * synchronous for files and pipes, and serve's access log (a line per request) paid a write system
 * call, and a wake-up of whatever reads the pipe, per request. `flush` writes what is pending now;
 * call it before exiting.
 */
export function coalescingLines(
  writeText: (s: string) => void,
  maxPending = 256,
): {
  add: (line: string) => void;
  flush: () => void;
} {
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join("\n");
    pending = [];
    writeText(text);
  };
  return {
    add(line) {
      pending.push(line);
      if (pending.length >= maxPending) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}
