/**
 * The deterministic tar writer checked against GNU tar (listing and extraction) and its own reader,
 * and gzip layers checked for byte-identical output.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { listTar, tarChunks, type TarEntry } from "../src/artifacts/oci/tar.js";
import { writeLayer } from "../src/artifacts/oci/layer.js";
import { OciLayout } from "../src/artifacts/oci/layout.js";
import { tempDir } from "./helpers/tmp.js";
import { runInProcess } from "./helpers/cli.js";

const dir = tempDir("mlpack-oci-tar-");
const longDir = "node_modules/" + "deeply-nested-package-name/".repeat(5);
const longName = "x".repeat(120) + ".js"; // one component over 100 bytes: needs a pax path record
const diskFile = path.join(dir, "on-disk.bin");
fs.writeFileSync(diskFile, Buffer.alloc(1500, 7));

function entries(): TarEntry[] {
  const text = (s: string) => ({ bytes: Buffer.from(s) });
  return [
    { path: "app", type: "dir", mode: 0o755 },
    { path: "app/bin", type: "dir", mode: 0o755 },
    { path: "app/bin/run.js", type: "file", mode: 0o755, size: 9, source: text("#!/bin/sh") },
    { path: "app/zeta.txt", type: "file", mode: 0o644, size: 1500, source: { file: diskFile } },
    { path: "app/alpha.txt", type: "file", mode: 0o644, size: 5, source: text("alpha") },
    { path: "app/link", type: "symlink", target: "alpha.txt" },
    { path: "app/naïve-ünïcode.txt", type: "file", mode: 0o644, size: 2, source: text("ok") },
    { path: `app/${longDir}index.js`, type: "file", mode: 0o644, size: 4, source: text("long") },
    { path: `app/${longName}`, type: "file", mode: 0o600, size: 4, source: text("pax!") },
    { path: "tmp", type: "dir", mode: 0o1777 },
  ];
}

async function tarBytes(list: TarEntry[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of tarChunks(list)) parts.push(c);
  return Buffer.concat(parts);
}

describe("tar writer", () => {
  it("gives the same bytes whatever the input order", async () => {
    const a = await tarBytes(entries());
    const b = await tarBytes(entries().reverse());
    expect(a.equals(b)).toBe(true);
    expect(a.length % 512).toBe(0);
  });

  it("GNU tar lists it sorted, owned by 0/0, with mtime 0 and the modes given", async () => {
    const file = path.join(dir, "t.tar");
    fs.writeFileSync(file, await tarBytes(entries()));
    const r = spawnSync("tar", ["--numeric-owner", "--utc", "-tvf", file], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    const names = lines.map((l) => l.split(/\s+/).slice(5).join(" "));
    expect(names).toEqual([
      "app/",
      "app/alpha.txt",
      "app/bin/",
      "app/bin/run.js",
      "app/link -> alpha.txt",
      `app/naïve-ünïcode.txt`,
      `app/${longDir}index.js`,
      `app/${longName}`,
      "app/zeta.txt",
      "tmp/",
    ]);
    for (const l of lines) {
      const [mode, owner, , date, time] = l.split(/\s+/);
      expect(owner).toBe("0/0");
      expect(`${date} ${time}`).toBe("1970-01-01 00:00");
      expect(mode).toMatch(/^[-dl]/);
    }
    expect(lines.find((l) => l.endsWith("run.js"))!.startsWith("-rwxr-xr-x")).toBe(true);
    expect(lines.find((l) => l.endsWith(longName))!.startsWith("-rw-------")).toBe(true);
    expect(lines.find((l) => l.endsWith("tmp/"))!.startsWith("drwxrwxrwt")).toBe(true);
  });

  it("GNU tar extracts the same contents, symlinks and long names", async () => {
    const file = path.join(dir, "x.tar");
    fs.writeFileSync(file, await tarBytes(entries()));
    const out = path.join(dir, "x");
    fs.mkdirSync(out);
    const r = spawnSync("tar", ["-xf", file, "-C", out], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(out, "app/alpha.txt"), "utf8")).toBe("alpha");
    expect(fs.readFileSync(path.join(out, "app/zeta.txt")).equals(fs.readFileSync(diskFile))).toBe(true);
    expect(fs.readlinkSync(path.join(out, "app/link"))).toBe("alpha.txt");
    expect(fs.readFileSync(path.join(out, `app/${longName}`), "utf8")).toBe("pax!");
    expect(fs.readFileSync(path.join(out, `app/${longDir}index.js`), "utf8")).toBe("long");
    expect(fs.readFileSync(path.join(out, "app/naïve-ünïcode.txt"), "utf8")).toBe("ok");
  });

  it("writes pax records only for long paths, never timestamps; its reader reads everything back", async () => {
    const bytes = await tarBytes(entries());
    const headers = listTar(bytes);
    expect(headers.map((h) => h.path)).toContain(`app/${longName}`);
    expect(headers.every((h) => h.mtime === 0 && h.uid === 0 && h.gid === 0 && h.uname === "")).toBe(true);
    const text = bytes.toString("latin1");
    expect(text).toContain(` path=app/${longName}\n`);
    expect(text).not.toMatch(/ (mtime|atime|ctime)=/);
    expect(headers.find((h) => h.path === "app/link")).toMatchObject({
      type: "symlink",
      linkname: "alpha.txt",
    });
  });

  it("refuses absolute, dotted and duplicate paths", async () => {
    const file = (p: string): TarEntry => ({
      path: p,
      type: "file",
      mode: 0o644,
      size: 0,
      source: { bytes: new Uint8Array() },
    });
    await expect(tarBytes([file("/etc/passwd")])).rejects.toThrow(/relative and normalized/);
    await expect(tarBytes([file("a/../b")])).rejects.toThrow(/relative and normalized/);
    await expect(tarBytes([file("a"), file("a")])).rejects.toThrow(/duplicate/);
  });
});

describe("gzip layers", () => {
  it("are byte-identical across builds: no mtime, no name, OS byte pinned", async () => {
    const a = await writeLayer(await OciLayout.create(path.join(dir, "la")), entries());
    const b = await writeLayer(await OciLayout.create(path.join(dir, "lb")), entries().reverse());
    expect(a.descriptor.digest).toBe(b.descriptor.digest);
    expect(a.diffId).toBe(b.diffId);
    const gz = fs.readFileSync(new OciLayout(path.join(dir, "la")).blobPath(a.descriptor.digest));
    expect([...gz.subarray(0, 4)]).toEqual([0x1f, 0x8b, 8, 0]); // no FNAME flag
    expect(gz.readUInt32LE(4)).toBe(0); // mtime
    expect(gz[9]).toBe(0xff);
    expect(zlib.gunzipSync(gz).equals(await tarBytes(entries()))).toBe(true);
  });

  it("the layer cache returns the same descriptor without repacking", async () => {
    const cacheDir = path.join(dir, "cache");
    const first = await writeLayer(await OciLayout.create(path.join(dir, "c1")), entries(), { cacheDir });
    const second = await writeLayer(await OciLayout.create(path.join(dir, "c2")), entries(), { cacheDir });
    expect(first.cached).toBe(false);
    expect(second.cached).toBe(true);
    expect(second.descriptor).toEqual(first.descriptor);
    fs.writeFileSync(diskFile, Buffer.alloc(1500, 8)); // same size, new content: small files are keyed by content
    const third = await writeLayer(await OciLayout.create(path.join(dir, "c3")), entries(), { cacheDir });
    expect(third.cached).toBe(false);
    expect(third.descriptor.digest).not.toBe(first.descriptor.digest);
  });
});

describe("OCI layout", () => {
  it("push of a directory that is not a layout names the mlpack.yaml setting that writes one", async () => {
    const notLayout = tempDir("mlpack-not-layout-");
    fs.writeFileSync(path.join(notLayout, "model.onnx"), "x");
    const r = await runInProcess(["push", notLayout, "127.0.0.1:1/model:1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${notLayout} is not an OCI image layout (no oci-layout and index.json)`);
    expect(r.stderr).toContain(
      "hint: pass OUTPUT/docker from `mlpack build` with targets.docker.format: oci in mlpack.yaml",
    );
    expect(r.stderr).not.toContain("--format");
  });
});
