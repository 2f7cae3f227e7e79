/**
 * The package as a stranger gets it: `npm pack`, the tarball installed into an empty folder (no
 * @tensorflow/tfjs: an optional peer dependency), then the installed `mlpack --help` and one build of
 * the example model as a daemonless from-scratch image (which must find the dependencies npm hoisted
 * beside node_modules/mlpack). The tfjs target, without @tensorflow/tfjs, says how to add it. The
 * installed size is printed for the README's install section.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { requireComponents } from "./helpers/components.js";
import { REPO } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";

const missing = requireComponents("package install", ["dist"]);

const work = tempDir("mlpack-package-install-");
const app = path.join(work, "app");

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    timeout: timeoutMs,
    maxBuffer: 64 << 20,
    // The CUDA download of onnxruntime-node's install script is not needed (the CPU runtime ships in
    // the package); CI=true would make npm quieter, not different.
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip", NO_COLOR: "1", npm_config_fund: "false" },
  });
}

/** Bytes of every regular file under dir (what `du --apparent-size` counts). */
function treeBytes(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += treeBytes(p);
    else if (e.isFile()) total += fs.statSync(p).size;
  }
  return total;
}

const mlpack = (args: string[]) =>
  run(process.execPath, [path.join(app, "node_modules/mlpack/bin/mlpack.js"), ...args], app, 300_000);

describe.skipIf(!!missing)("npm pack → npm install in an empty folder", () => {
  beforeAll(() => {
    const pack = run("npm", ["pack", "--json", "--pack-destination", work], REPO, 120_000);
    expect(pack.status, pack.stderr).toBe(0);
    const [{ filename }] = JSON.parse(pack.stdout) as { filename: string }[];
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", private: true }));
    const install = run(
      "npm",
      ["install", "--prefer-offline", "--no-audit", path.join(work, filename)],
      app,
      540_000,
    );
    expect(install.status, install.stderr).toBe(0);
  }, 660_000);

  it("installs without @tensorflow/tfjs and runs mlpack --help", () => {
    const modules = path.join(app, "node_modules");
    expect(fs.existsSync(path.join(modules, "mlpack/dist/cli/main.js"))).toBe(true);
    expect(fs.existsSync(path.join(modules, "@tensorflow"))).toBe(false);
    const mib = treeBytes(modules) / 2 ** 20;
    const ort = treeBytes(path.join(modules, "onnxruntime-node")) / 2 ** 20;
    // DuckDB (mlpack predict's file engine) ships its native library for this platform only.
    const duck = treeBytes(path.join(modules, "@duckdb")) / 2 ** 20;
    console.log(
      `installed size: node_modules ${mib.toFixed(0)} MiB, of which onnxruntime-node ${ort.toFixed(0)} MiB, ` +
        `DuckDB ${duck.toFixed(0)} MiB`,
    );
    // Without tfjs the install is onnxruntime-node (every platform's binaries), DuckDB's native
    // library, and some tens of MiB of JavaScript (kubernetes-models' schemas are the largest).
    expect(mib).toBeLessThan(ort + duck + 60);
    const help = mlpack(["--help"]);
    expect(help.status, help.stderr).toBe(0);
    for (const cmd of ["inspect", "validate", "quantize", "bench", "serve", "convert", "build", "push"])
      expect(help.stdout).toContain(cmd);
  });

  it("builds the example model as a from-scratch image; the tfjs target says how to add tfjs", () => {
    fs.copyFileSync(path.join(REPO, "examples/mlp/model.onnx"), path.join(app, "model.onnx"));
    fs.writeFileSync(
      path.join(app, "mlpack.yaml"),
      [
        "model: model.onnx",
        "name: mlp",
        'version: "1"',
        "output: dist",
        "targets:",
        "  docker: { fromScratch: true, format: oci }",
        "  tfjs: {}",
        "",
      ].join("\n"),
    );
    const built = mlpack(["build", "--target", "docker"]);
    expect(built.status, built.stdout + built.stderr).toBe(0);
    expect(built.stdout).toMatch(/docker ok/);
    const manifest = JSON.parse(fs.readFileSync(path.join(app, "dist/mlpack-manifest.json"), "utf8")) as {
      artifacts?: unknown;
    };
    expect(JSON.stringify(manifest)).toContain("docker");
    expect(fs.existsSync(path.join(app, "dist/docker/oci/index.json"))).toBe(true);

    const tfjs = mlpack(["build", "--target", "tfjs"]);
    expect(tfjs.status).toBe(1);
    expect(tfjs.stderr).toContain("the tfjs target needs @tensorflow/tfjs");
    expect(tfjs.stderr).toMatch(/npm install @tensorflow\/tfjs@\^4/);
  });
});
