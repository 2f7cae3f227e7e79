/**
 * Fuzzing the config loader with mutated copies of the example config (examples/mlp/mlpack.yaml):
 * text mutations (flipped, deleted, duplicated and inserted characters and lines, YAML constructs
 * such as anchors, aliases, merge keys, tags and flow collections) and structural ones (values
 * replaced by other types, keys dropped or added), written as YAML or JSON. Every case must load or
 * fail with an MlpackError (a clean user error with the key path) — never a TypeError, a V8 stack
 * trace or a hang. Seeded, so a failure reproduces; MLPACK_CONFIG_FUZZ_CASES sets the count.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { loadConfig } from "../src/config/load.js";
import { isMlpackError } from "../src/errors.js";
import { seededRandom } from "../src/onnx/random.js";
import { REPO } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";

const CASES = Number(process.env.MLPACK_CONFIG_FUZZ_CASES ?? 400);
const SOURCE = fs.readFileSync(path.join(REPO, "examples/mlp/mlpack.yaml"), "utf8");
const dir = tempDir("mlpack-config-fuzz-");
// The example's model, so configs that survive the mutations load all the way.
fs.copyFileSync(path.join(REPO, "examples/mlp/model.onnx"), path.join(dir, "model.onnx"));

const SNIPPETS = [
  ":",
  "- ",
  "&a ",
  "*a",
  "<<: *a",
  "!!binary ",
  "!!str ",
  "!custom ",
  "{",
  "}",
  "[",
  "]",
  "'",
  '"',
  "\t",
  "#",
  "? ",
  "|",
  ">",
  "%YAML 1.2\n---\n",
  "---\n",
  "...\n",
  "\u0000",
  "\u001b[2J",
  "\ufeff",
  "1e999",
  "-0",
  "0x1F",
  ".nan",
  "~",
  "null",
  "true",
  "__proto__",
  "constructor",
  "9".repeat(400),
];

/** Values of every type, for structural mutations. */
function randomValue(rand: () => number, depth = 0): unknown {
  const pick = Math.floor(rand() * (depth > 2 ? 8 : 10));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return rand() < 0.5;
    case 2:
      return Math.floor(rand() * 2e6) - 1e6;
    case 3:
      return [0, -1, 1e308, -1e-308, 0.5, 2 ** 53 + 1][Math.floor(rand() * 6)];
    case 4:
      return SNIPPETS[Math.floor(rand() * SNIPPETS.length)];
    case 5:
      return "x".repeat(Math.floor(rand() * 5000));
    case 6:
      return (
        "../".repeat(Math.floor(rand() * 5)) +
        ["model.onnx", "dist", "/dev/zero", "", "."][Math.floor(rand() * 5)]
      );
    case 7:
      return "__proto__";
    case 8:
      return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rand() * 4); i > 0; i--) o[`k${i}`] = randomValue(rand, depth + 1);
      return o;
    }
  }
}

/** Every (object, key) pair in the parsed config, to pick a mutation site from. */
function sites(node: unknown, out: [Record<string, unknown>, string][] = []) {
  if (node && typeof node === "object")
    for (const k of Object.keys(node)) {
      out.push([node as Record<string, unknown>, k]);
      sites((node as Record<string, unknown>)[k], out);
    }
  return out;
}

function mutateStructure(rand: () => number): unknown {
  const data = parse(SOURCE) as Record<string, unknown>;
  for (let n = 1 + Math.floor(rand() * 3); n > 0; n--) {
    const all = sites(data);
    const [obj, key] = all[Math.floor(rand() * all.length)];
    const r = rand();
    if (r < 0.5) obj[key] = randomValue(rand);
    else if (r < 0.75) delete obj[key];
    else obj[`${key}${Math.floor(rand() * 10)}`] = randomValue(rand);
  }
  return data;
}

function mutateText(text: string, rand: () => number): string {
  let s = text;
  for (let n = 1 + Math.floor(rand() * 4); n > 0; n--) {
    const at = Math.floor(rand() * (s.length + 1));
    const r = rand();
    if (r < 0.2) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rand() * 20));
    else if (r < 0.45) s = s.slice(0, at) + SNIPPETS[Math.floor(rand() * SNIPPETS.length)] + s.slice(at);
    else if (r < 0.6) s = s.slice(0, at) + String.fromCharCode(Math.floor(rand() * 128)) + s.slice(at + 1);
    else if (r < 0.75) {
      // Duplicate a line: repeated keys and list items.
      const lines = s.split("\n");
      const i = Math.floor(rand() * lines.length);
      lines.splice(i, 0, lines[i]);
      s = lines.join("\n");
    } else if (r < 0.9) {
      // Re-indent a line: YAML's structure is its indentation.
      const lines = s.split("\n");
      const i = Math.floor(rand() * lines.length);
      lines[i] = " ".repeat(Math.floor(rand() * 6)) + lines[i].trimStart();
      s = lines.join("\n");
    } else s = s.slice(0, at); // truncated file
  }
  return s;
}

function makeCase(i: number): { name: string; text: string } {
  const rand = seededRandom(1000 + i);
  const kind = i % 4;
  if (kind === 0) return { name: "mlpack.yaml", text: mutateText(SOURCE, rand) };
  if (kind === 1) return { name: "mlpack.yaml", text: stringify(mutateStructure(rand)) };
  if (kind === 2) return { name: "mlpack.json", text: JSON.stringify(mutateStructure(rand), null, 2) };
  return { name: "mlpack.json", text: mutateText(JSON.stringify(parse(SOURCE), null, 2), rand) };
}

describe("config fuzzing", () => {
  it(`${CASES} mutated configs: each loads or fails with a clean MlpackError`, () => {
    let loaded = 0;
    let refused = 0;
    let slowest = 0;
    const crashes: string[] = [];
    for (let i = 0; i < CASES; i++) {
      const { name, text } = makeCase(i);
      const caseDir = path.join(dir, `c${i % 8}`);
      fs.mkdirSync(caseDir, { recursive: true });
      if (!fs.existsSync(path.join(caseDir, "model.onnx")))
        fs.copyFileSync(path.join(dir, "model.onnx"), path.join(caseDir, "model.onnx"));
      for (const n of ["mlpack.yaml", "mlpack.json"]) fs.rmSync(path.join(caseDir, n), { force: true });
      const file = path.join(caseDir, name);
      fs.writeFileSync(file, text);
      const t0 = performance.now();
      try {
        loadConfig(file);
        loaded++;
      } catch (e) {
        if (isMlpackError(e) && !/\n\s+at /.test(e.message)) refused++;
        else crashes.push(`case ${i} (${name}): ${e instanceof Error ? e.stack : String(e)}`);
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
    console.log(
      `config fuzz: ${CASES} cases, ${loaded} loaded, ${refused} refused cleanly, ${crashes.length} crashes, slowest ${slowest.toFixed(0)} ms`,
    );
    expect(crashes.slice(0, 5)).toEqual([]);
    expect(slowest).toBeLessThan(1000);
    // Both outcomes happen: the mutations are neither all harmless nor all fatal.
    expect(loaded).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(CASES / 4);
  }, 120_000);
});
