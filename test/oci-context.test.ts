/**
 * The build context the Docker-daemon path (and any docker/podman/buildah/kaniko) builds: the
 * Dockerfile is parsed here independently and every COPY source must exist, for every platform;
 * node_modules holds only the target's onnxruntime binaries; the serve config carries the server
 * defaults. Needs dist/ (npm run build), as the image carries it.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { writeBuildContext } from "../src/artifacts/oci/prepare.js";
import { planDockerfile } from "../src/artifacts/oci/dockerfile.js";
import { renderTemplate } from "../src/artifacts/oci/template.js";
import { UsageError } from "../src/errors.js";
import { tempDir } from "./helpers/tmp.js";
import { requireComponents } from "./helpers/components.js";
import { writeMlp } from "./helpers/registry-images.js";

const noDist = requireComponents("oci-context", ["dist"]);
const dir = tempDir("mlpack-oci-context-");

/** A deliberately small Dockerfile reader, separate from the builder's, for cross-checking. */
function copySources(dockerfile: string, arch: string): { src: string; dest: string }[] {
  const logical = dockerfile
    .split("\n")
    .filter((l) => !/^\s*#/.test(l))
    .join("\n")
    .replace(/\\\n/g, " ")
    .split("\n");
  const args = new Map<string, string>([["TARGETARCH", arch]]);
  const out: { src: string; dest: string }[] = [];
  for (const line of logical) {
    const arg = /^ARG\s+(\w+)=(\S+)/.exec(line);
    if (arg && !args.has(arg[1])) args.set(arg[1], arg[2]);
    const copy = /^COPY\s+(\S+)\s+(\S+)\s*$/.exec(line);
    if (copy) {
      const sub = (s: string) => s.replace(/\$\{(\w+)\}/g, (_, k: string) => args.get(k) ?? `<unset ${k}>`);
      out.push({ src: sub(copy[1]), dest: sub(copy[2]) });
    }
  }
  return out;
}

function filesUnder(root: string, rel = ""): string[] {
  return fs.readdirSync(path.join(root, rel), { withFileTypes: true }).flatMap((e) => {
    const r = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? filesUnder(root, r) : [r];
  });
}

describe.skipIf(!!noDist)("docker build context", () => {
  it("every COPY source exists for every platform, and every file in the context is copied", async () => {
    const model = await writeMlp(path.join(dir, "m/model.onnx"), 1);
    const ctx = await writeBuildContext({
      model,
      name: "mlp",
      version: "3",
      server: { port: 9000, workers: 2, maxBatchSize: 8 },
      out: path.join(dir, "out"),
      platforms: ["linux/amd64", "linux/arm64"],
      base: "127.0.0.1:5000/base/node:20",
    });
    expect(ctx.baseImage).toBe("127.0.0.1:5000/base/node:20");
    const dockerfile = fs.readFileSync(path.join(ctx.dir, "Dockerfile"), "utf8");
    expect(dockerfile).toBe(ctx.dockerfile);
    expect(dockerfile).not.toMatch(/\{\{|\}\}/);
    expect(dockerfile).toContain("ARG BASE_IMAGE=127.0.0.1:5000/base/node:20");
    expect(dockerfile).toContain("EXPOSE 9000");
    const copied = new Set<string>();
    for (const arch of ["amd64", "arm64"]) {
      const copies = copySources(dockerfile, arch);
      expect(copies.map((c) => c.dest)).toEqual([
        "/app/node_modules/",
        "/app/node_modules/onnxruntime-node/bin/",
        "/app/",
        "/models/",
      ]);
      for (const c of copies) {
        const src = path.join(ctx.dir, c.src);
        expect(fs.existsSync(src), `${arch}: COPY ${c.src}`).toBe(true);
        const files = filesUnder(src);
        expect(files.length, `${arch}: ${c.src} is empty`).toBeGreaterThan(0);
        for (const f of files) copied.add(path.posix.join(c.src, f));
      }
      // The builder's own parser agrees.
      const plan = planDockerfile(dockerfile, { TARGETARCH: arch });
      expect(plan.copies.map((c) => ({ src: c.src, dest: c.dest }))).toEqual(copies);
      expect(plan.entrypoint).toEqual([
        "node",
        "/app/bin/mlpack.js",
        "serve",
        "--config",
        "/models/mlpack-serve.json",
      ]);
      expect(plan.user).toBe("65532:65532");
      expect(plan.workdir).toBe("/app");
    }
    const extra = filesUnder(ctx.dir).filter((f) => !copied.has(f));
    expect(extra.sort()).toEqual([".dockerignore", "Dockerfile"]);

    // onnxruntime's binaries: one directory per architecture, linux only, none left in node_modules.
    expect(
      filesUnder(path.join(ctx.dir, "native/amd64")).every((f) => f.startsWith("napi-v6/linux/x64/")),
    ).toBe(true);
    expect(
      filesUnder(path.join(ctx.dir, "native/arm64")).every((f) => f.startsWith("napi-v6/linux/arm64/")),
    ).toBe(true);
    expect(filesUnder(path.join(ctx.dir, "native/arm64"))).toContain(
      "napi-v6/linux/arm64/onnxruntime_binding.node",
    );
    const modules = path.join(ctx.dir, "app/node_modules");
    expect(fs.existsSync(path.join(modules, "onnxruntime-node/bin"))).toBe(false);
    expect(fs.existsSync(path.join(modules, "onnxruntime-node/package.json"))).toBe(true);
    for (const gone of ["@tensorflow", "dockerode", "vitest", "typescript"])
      expect(fs.existsSync(path.join(modules, gone))).toBe(false);
    expect(ctx.packages).toContain("commander");
    expect(fs.existsSync(path.join(ctx.dir, "app/server/dist/cli/main.js"))).toBe(true);
    expect(fs.existsSync(path.join(ctx.dir, "app/server/bin/mlpack.js"))).toBe(true);

    const serve = JSON.parse(
      fs.readFileSync(path.join(ctx.dir, "models/mlpack-serve.json"), "utf8"),
    ) as unknown;
    expect(serve).toEqual({
      serve: {
        host: "0.0.0.0",
        maxBatchSize: 8,
        model: [{ name: "mlp", path: "/models/model.onnx", version: "3" }],
        port: 9000,
        workers: 2,
      },
    });
  });

  it("re-emitting keeps unchanged files (same inode) and removes stale ones", async () => {
    const out = path.join(dir, "resync");
    const m1 = await writeMlp(path.join(dir, "r1/first.onnx"), 1);
    const first = await writeBuildContext({ model: m1, name: "mlp", out });
    const pkg = path.join(first.dir, "app/server/package.json");
    const ino = fs.statSync(pkg).ino;
    const m2 = await writeMlp(path.join(dir, "r2/second.onnx"), 2);
    const second = await writeBuildContext({ model: m2, name: "mlp", out });
    expect(fs.statSync(pkg).ino).toBe(ino);
    expect(fs.readdirSync(path.join(second.dir, "models")).sort()).toEqual([
      "mlpack-serve.json",
      "second.onnx",
    ]);
  });

  it("FROM scratch: the context carries node, its libraries and a passwd for the non-root user", async () => {
    const model = await writeMlp(path.join(dir, "s/model.onnx"), 1);
    const ctx = await writeBuildContext({ model, out: path.join(dir, "scratch"), fromScratch: true });
    expect(ctx.baseImage).toBe("scratch");
    const copies = copySources(ctx.dockerfile, process.arch === "x64" ? "amd64" : "arm64");
    expect(copies[0]).toEqual({ src: "rootfs/", dest: "/" });
    const rootfs = path.join(ctx.dir, "rootfs");
    expect(fs.statSync(path.join(rootfs, "usr/local/bin/node")).size).toBe(
      fs.statSync(fs.realpathSync(process.execPath)).size,
    );
    expect(filesUnder(rootfs).some((f) => /libc\.so\.6$/.test(f))).toBe(true);
    expect(fs.readFileSync(path.join(rootfs, "etc/passwd"), "utf8")).toContain("mlpack:x:65532:65532:");
  });

  it("rejects bad options with usage errors that say what to do", async () => {
    const model = await writeMlp(path.join(dir, "e/model.onnx"), 1);
    const bad = async (o: object) =>
      writeBuildContext({ model, out: path.join(dir, "err"), ...o }).catch((e: unknown) => e);
    const e1 = await bad({ platforms: ["linux"] });
    expect(e1).toBeInstanceOf(UsageError);
    expect((e1 as Error).message).toContain('platform "linux" should look like linux/amd64');
    expect(
      ((await bad({ fromScratch: true, platforms: ["linux/amd64", "linux/arm64"] })) as Error).message,
    ).toContain("targets.docker.fromScratch copies this machine's node binary");
    expect(
      ((await bad({ format: "docker-archive", platforms: ["linux/amd64", "linux/arm64"] })) as Error).message,
    ).toBe("docker-archive holds one platform");
    expect(((await bad({ name: "my model" })) as Error).message).toContain('model name "my model"');
    expect(((await bad({ server: { workers: 0 } })) as Error).message).toContain(
      "server.workers: 0 is out of range [1, 256]",
    );
    expect(((await bad({ push: true })) as Error).message).toContain("pushing needs targets.docker.tag");
  });
});

describe("templates", () => {
  const manifest = { files: ["f"], placeholders: { a: "an a" } };
  it("fail on unknown placeholders, missing values and leftovers", () => {
    expect(renderTemplate("x {{a}} y", { a: "1" }, manifest)).toBe("x 1 y");
    expect(() => renderTemplate("{{b}}", { a: "1" }, manifest)).toThrow(/unknown placeholder \{\{b\}\}/);
    expect(() => renderTemplate("{{a}}", {}, manifest)).toThrow(/no value for placeholder "a"/);
    expect(() => renderTemplate("{{a}}", { a: "1", c: "2" }, manifest)).toThrow(/undeclared placeholder "c"/);
    expect(() => renderTemplate("{{a}}", { a: "{{ x }}" }, manifest)).toThrow(/left after rendering/);
  });
});
