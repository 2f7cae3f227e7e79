/**
 * Model-supplied strings on the terminal: ESC sequences (clear screen, window title, fake colours),
 * newlines that would start a `::error::` workflow command, C1 controls and bidi overrides must
 * reach the output escaped, in inspect, validate, quantize, errors, logs and the GitHub reporter.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeMlp } from "../src/onnx/fixtures.js";
import { create, encodeModelProto, StringStringEntryProtoSchema } from "../src/onnx/proto.js";
import { makeAttribute } from "../src/onnx/build.js";
import { printable, printableLines } from "../src/printable.js";
import { createConsoleLogger } from "../src/log.js";
import { escapeData } from "../src/bench/report/github.js";
import { textRenderer } from "../src/build/events.js";
import { runInProcess } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";

const dir = tempDir("mlpack-hostile-strings-");
const EVIL = "\u001b]0;pwned\u0007\u001b[2J\u001b[32mok\u001b[0m\n::error::fake\r\u0085\u202e";

/** No raw control characters, and no line that a CI runner would read as a workflow command. */
function expectClean(text: string, lines = true): void {
  // eslint-disable-next-line no-control-regex
  expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
  // Errors and log lines keep their line breaks (mlpack composes multi-line messages), so only
  // their control characters are checked; inspect, validate and quantize escape newlines too.
  if (lines) for (const line of text.split("\n")) expect(line).not.toMatch(/^::/);
}

function evilModel(): string {
  const m = makeMlp({ widths: [4, 3] });
  m.producerName = `torch${EVIL}`;
  m.docString = `doc${EVIL}`;
  m.graph!.node[0].name = `node${EVIL}`;
  m.graph!.node[0].attribute.push(makeAttribute(`attr${EVIL}`, { int: 1 }));
  m.metadataProps.push(create(StringStringEntryProtoSchema, { key: `k${EVIL}`, value: `v${EVIL}` }));
  const file = path.join(dir, "evil.onnx");
  fs.writeFileSync(file, encodeModelProto(m));
  return file;
}

describe("printable", () => {
  it("escapes controls, separators and bidi overrides; keeps other text", () => {
    expect(printable("a\u001b[2Jb\nc\td\u0085\u202e é 漢")).toBe("a\\x1b[2Jb\\nc\\td\\u0085\\u202e é 漢");
    expect(printableLines("one\ntwo\u0007")).toBe("one\ntwo\\x07");
    // Escapes of DEL and above are JSON escapes of the same character.
    expect(JSON.parse(printable(JSON.stringify("x\u0085y")))).toBe("x\u0085y");
  });
});

describe("model strings in command output", () => {
  const file = evilModel();

  it("inspect", async () => {
    const r = await runInProcess(["inspect", file]);
    expect(r.code, r.stderr).toBe(0);
    expectClean(r.stdout);
    expect(r.stdout).toContain("torch\\x1b]0;pwned\\x07");
    expect(r.stdout).toContain("v\\x1b]0;pwned\\x07\\x1b[2J\\x1b[32mok\\x1b[0m\\n::error::fake");
  });

  it("validate (text and JSON)", async () => {
    const r = await runInProcess(["validate", file]);
    expectClean(r.stdout + r.stderr);
    expect(r.stdout).toContain("node\\x1b]0;pwned");
    const j = await runInProcess(["validate", file, "--json"]);
    expectClean(j.stdout);
    const report = JSON.parse(j.stdout) as { diagnostics: { node?: { name: string } }[] };
    expect(report.diagnostics.some((d) => d.node?.name === `node${EVIL}`)).toBe(true);
  });

  it("bench (progress, report, GitHub annotations)", async () => {
    const m = makeMlp({ widths: [4, 3] });
    m.graph!.node[0].name = `node${EVIL}`;
    const file2 = path.join(dir, "evil-bench.onnx");
    fs.writeFileSync(file2, encodeModelProto(m));
    const r = await runInProcess(["bench", file2, "--iterations", "5", "--rounds", "1", "--github"]);
    expect(r.code, r.stderr).toBe(0);
    // --github prints its own ::warning lines; the model's "::error::fake" must never start one.
    expectClean(r.stdout + r.stderr, false);
    expect(r.stdout + r.stderr).not.toMatch(/^\s*::error::fake/m);
  });

  it("quantize", async () => {
    const r = await runInProcess(["quantize", file, "-o", path.join(dir, "q.onnx")]);
    expectClean(r.stdout + r.stderr);
  });

  it("errors that quote a tensor name", async () => {
    const m = makeMlp({ widths: [4, 3] });
    m.graph!.initializer[0].name = `w${EVIL}`;
    m.graph!.initializer[0].dataType = 77;
    const bad = path.join(dir, "bad.onnx");
    fs.writeFileSync(bad, encodeModelProto(m));
    for (const cmd of [["inspect"], ["validate"], ["quantize", "-o", path.join(dir, "bq.onnx")]]) {
      const r = await runInProcess([cmd[0], bad, ...cmd.slice(1)]);
      expect(r.code).toBe(1);
      // The name is the model's: its newline must not start a line of its own.
      expectClean(r.stderr);
      expect(r.stderr).toContain("w\\x1b]0;pwned");
    }
    const r = await runInProcess(["inspect", bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("w\\x1b]0;pwned");
  });
});

describe("logs and reporters", () => {
  it("the console logger and the build log escape what they print", () => {
    let out = "";
    const sink = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
    const log = createConsoleLogger({ out: sink, err: sink, color: false });
    log.info(`excluded ${EVIL}`);
    log.warn(`layer ${EVIL}`);
    const emit = textRenderer({ write: (s) => (out += s), color: false, tty: false });
    emit({ event: "step-start", step: "quantize", index: 1, total: 1 });
    emit({ event: "log", step: "quantize", level: "warn", message: `kept ${EVIL}` });
    emit({ event: "step-end", step: "quantize", status: "ok", ms: 1, summary: `s ${EVIL}` });
    expectClean(out, false);
  });

  it("GitHub workflow commands: %, CR and LF encoded, other controls escaped", () => {
    expect(escapeData("100%\r\n::error::x\u001b[31m")).toBe("100%25%0D%0A::error::x\\x1b[31m");
  });
});
