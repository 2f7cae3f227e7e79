/**
 * The one escaping helper for text output. Model files carry arbitrary strings (node and value
 * names, doc strings, metadata, producer); printed raw, an ESC sequence can clear the screen, set
 * the window title or fake coloured output, and a newline can start a line with `::error::` (a
 * GitHub Actions workflow command). Control characters (C0, DEL, C1), line/paragraph separators
 * and bidirectional overrides become visible escapes such as \n, \x1b or \u202e.
 */

// C0 controls, DEL, C1 controls, U+2028/2029, and the bidi embedding/override/isolate characters.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeOne(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  // \xNN for C0 (JSON output never holds them raw), \uNNNN above: a valid JSON escape of the same
  // character, so escaping JSON text on its way out changes how it looks, never what it means.
  return code < 0x20
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** `s` with every control character escaped, newlines included: always one printable line. */
export function printable(s: string): string {
  return s.replace(UNSAFE, escapeOne);
}

/** Like printable, but keeps the line breaks of text mlpack composed itself (messages with lists). */
export function printableLines(s: string): string {
  return s.split("\n").map(printable).join("\n");
}
