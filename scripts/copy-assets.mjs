// Copies the data files under src/ (JSON such as src/ops/support/ort-cpu.json, and .proto files such as
// src/serve/grpc/grpc_predict_v2.proto) into dist/ at the same relative paths: tsc compiles src → dist
// but never copies the data files the code reads at run time.
//
//   node scripts/copy-assets.mjs            (after `tsc -p tsconfig.build.json`)
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");
const dist = join(root, "dist");

/** Every *.json and *.proto file under `dir`, sorted so the log reads the same on every machine. */
function jsonFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return jsonFiles(path);
      return e.isFile() && /\.(json|proto)$/.test(e.name) ? [path] : [];
    });
}

const files = jsonFiles(src);
for (const file of files) {
  const target = join(dist, relative(src, file));
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(file, target);
}
console.log(`copy-assets: ${files.length} file(s) copied from src/ to dist/`);
