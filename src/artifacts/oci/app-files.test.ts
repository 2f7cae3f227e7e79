/** collectAppFiles where npm put mlpack's dependencies: its own node_modules, or hoisted beside it. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { collectAppFiles, imageModulePath } from "./app-files.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mlpack-app-files-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function pkg(dir: string, name: string, dependencies: Record<string, string> = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", dependencies }));
  fs.writeFileSync(path.join(dir, "index.js"), `module.exports = ${JSON.stringify(name)};\n`);
}

describe("collectAppFiles", () => {
  it("finds dependencies hoisted into the project's node_modules (mlpack installed as a package)", () => {
    const project = path.join(tmp, "project");
    const root = path.join(project, "node_modules/mlpack");
    pkg(root, "mlpack", { a: "1", b: "1", "@tensorflow/tfjs": "4" });
    for (const f of ["bin/mlpack.js", "dist/cli/main.js"]) {
      fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      fs.writeFileSync(path.join(root, f), "");
    }
    pkg(path.join(root, "node_modules/b"), "b"); // mlpack's own copy (a version conflict)
    pkg(path.join(project, "node_modules/a"), "a", { c: "1", d: "1" }); // hoisted
    pkg(path.join(project, "node_modules/c"), "c"); // hoisted dependency of a hoisted package
    pkg(path.join(project, "node_modules/a/node_modules/d"), "d"); // nested under a hoisted package

    const app = collectAppFiles(root, { architectures: ["amd64"] });
    expect(app.packages).toEqual(["a", "b", "c", "d"]);
    expect(app.modules.map((f) => f.rel).sort()).toEqual([
      "a/index.js",
      "a/node_modules/d/index.js",
      "a/node_modules/d/package.json",
      "a/package.json",
      "b/index.js",
      "b/package.json",
      "c/index.js",
      "c/package.json",
    ]);
    expect(imageModulePath(root, path.join(root, "node_modules/b"))).toBe("b");
    expect(imageModulePath(root, path.join(project, "node_modules/a/node_modules/d"))).toBe(
      "a/node_modules/d",
    );
  });
});
