/**
 * Where `mlpack init` looks for real inputs: a samples/ folder next to the model, or
 * samples/<model name>/ when several models share a folder. Only a folder holding files mlpack can
 * read counts, so the written config never points at an empty or foreign folder.
 */
import fs from "node:fs";
import path from "node:path";
import { SAMPLE_FILE } from "../data/samples.js";

export interface FoundSamples {
  dir: string;
  kinds: Set<"image" | "audio" | "tensor">;
}

function kindsIn(dir: string): Set<"image" | "audio" | "tensor"> {
  const kinds = new Set<"image" | "audio" | "tensor">();
  const visit = (d: string, depth: number) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && depth < 1) visit(p, depth + 1);
      else if (e.isFile() && SAMPLE_FILE.test(e.name))
        kinds.add(/\.(png|jpe?g)$/i.test(e.name) ? "image" : /\.wav$/i.test(e.name) ? "audio" : "tensor");
    }
  };
  visit(dir, 0);
  return kinds;
}

export function findSamples(modelPath: string): FoundSamples | undefined {
  const base = path.join(path.dirname(path.resolve(modelPath)), "samples");
  const candidates = [path.join(base, path.basename(modelPath, ".onnx")), base];
  for (const dir of candidates) {
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) continue;
    const kinds = kindsIn(dir);
    if (kinds.size > 0) return { dir, kinds };
  }
  return undefined;
}
