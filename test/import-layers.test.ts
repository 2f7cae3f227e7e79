/**
 * No import cycles between layers. A layer is a top-level folder of src/ (onnx, ir, ops, passes,
 * bench, serve, convert, artifacts, build, cli, ...); each file directly in src/ (errors.ts, log.ts,
 * index.ts, ...) is a node of its own. Every relative import that exists at run time, dynamic
 * `import()` included, is an edge; a strongly connected group of two or more layers is a cycle,
 * reported with the imports that close it. `import type` / `export type` are erased by the compiler
 * and are not edges: each target declares its config section in its own folder
 * (src/build/targets/<name>/config.ts) and config/types.ts assembles the file's type from them, which
 * is a type-level reference only.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(import.meta.dirname, "../src");

/**
 * Cycles known and owned elsewhere, as sorted layer lists.
 * TODO(ops/support ⇄ convert/tfjs): ops/support/targets.ts imports convert/tfjs/support.js and
 * convert/tfjs/support.ts imports ops/support/types.js; the TF.js work removes this — delete the
 * exception once it is merged.
 */
const KNOWN_CYCLES: string[][] = [];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

/** The top-level folder under src/, or the file's own name for a file directly in src/. */
function layerOf(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0];
}

/** layer → imported layer → the imports behind the edge ("onnx/read.ts → ../ir/walk.js"). */
function layerGraph(files = sourceFiles(SRC)): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  for (const file of files) {
    const from = layerOf(file);
    if (!graph.has(from)) graph.set(from, new Map());
    const text = fs.readFileSync(file, "utf8");
    // How many type-only statements name each specifier; a runtime import of the same one still counts.
    const typeOnly = new Map<string, number>();
    for (const m of text.matchAll(/^\s*(?:import|export)\s+type\s[^;]*?\sfrom\s+"([^"]+)"/gm))
      typeOnly.set(m[1], (typeOnly.get(m[1]) ?? 0) + 1);
    const { importedFiles } = ts.preProcessFile(text, true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith(".")) continue;
      const erased = typeOnly.get(fileName) ?? 0;
      if (erased > 0) {
        typeOnly.set(fileName, erased - 1);
        continue;
      }
      const to = layerOf(path.resolve(path.dirname(file), fileName));
      if (to === from) continue;
      const edges = graph.get(from)!;
      if (!edges.has(to)) edges.set(to, []);
      edges.get(to)!.push(`${path.relative(SRC, file)} → ${fileName}`);
    }
  }
  return graph;
}

/** Strongly connected components with two or more nodes (Tarjan), each sorted. */
function cycles(graph: Map<string, Map<string, string[]>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

describe("layers of src/", () => {
  it("import each other without cycles", () => {
    const graph = layerGraph();
    const known = new Set(KNOWN_CYCLES.map((c) => c.join(",")));
    const found = cycles(graph).filter((c) => !known.has(c.join(",")));
    const explain = found.map((c) =>
      [
        `cycle: ${c.join(" ⇄ ")}`,
        ...c.flatMap((a) =>
          [...(graph.get(a) ?? [])]
            .filter(([b]) => c.includes(b))
            .map(([b, why]) => `  ${a} → ${b}: ${why.slice(0, 3).join("; ")}`),
        ),
      ].join("\n"),
    );
    expect(explain.join("\n")).toBe("");
    // An exception whose cycle is gone must go too, or it would hide the cycle coming back.
    const present = new Set(cycles(graph).map((c) => c.join(",")));
    expect([...known].filter((c) => !present.has(c)).map((c) => `remove ${c} from KNOWN_CYCLES`)).toEqual([]);
  });

  it("finds a cycle it is shown", () => {
    const g = new Map([
      ["a", new Map([["b", ["a/x.ts → ../b/y.js"]]])],
      ["b", new Map([["c", ["b/y.ts → ../c/z.js"]]])],
      ["c", new Map([["a", ["c/z.ts → ../a/x.js"]]])],
      ["d", new Map([["a", ["d/w.ts → ../a/x.js"]]])],
    ]);
    expect(cycles(g)).toEqual([["a", "b", "c"]]);
  });
});
