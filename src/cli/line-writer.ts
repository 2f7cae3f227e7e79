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
