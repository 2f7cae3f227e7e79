/**
 * Image tarballs. `oci-archive` is the OCI layout in a tar. `docker-archive` is what `docker save`
 * (25+) writes and `docker load` reads: manifest.json + repositories next to the same OCI layout, so
 * both docker and OCI tools accept it. Entries are sorted with fixed headers (deterministic).
 */
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { UserError } from "../../errors.js";
import { digestHex, OciLayout, selectRoot, type ImageManifest } from "./layout.js";
import { listFiles } from "./app-files.js";
import { listTarFile, tarChunks, type TarEntry } from "./tar.js";

export type ImageFormat = "oci" | "oci-archive" | "docker-archive";

/** Writes the layout (plus docker-archive's manifest.json) into a tar file, temp name then rename. */
export async function writeArchive(
  layoutDir: string,
  file: string,
  format: "oci-archive" | "docker-archive",
  tags: string[],
): Promise<void> {
  const entries: TarEntry[] = [];
  const dirs = new Set<string>();
  for (const f of listFiles(layoutDir)) {
    const parts = f.rel.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
    entries.push({
      path: f.rel,
      type: "file",
      mode: 0o644,
      size: fs.statSync(f.abs).size,
      source: { file: f.abs },
    });
  }
  for (const d of dirs) entries.push({ path: d, type: "dir", mode: 0o755 });
  if (format === "docker-archive") {
    const layout = new OciLayout(layoutDir);
    const root = selectRoot(await layout.readIndex(), layoutDir);
    const manifest = await layout.readJson<ImageManifest>(root.digest);
    if (!manifest.config)
      throw new UserError("docker-archive holds one platform's image", {
        hint: "list one platform in targets.docker.platforms for docker-archive, or set targets.docker.format: oci-archive",
      });
    const docker = [
      {
        Config: `blobs/sha256/${digestHex(manifest.config.digest)}`,
        RepoTags: tags,
        Layers: manifest.layers.map((l) => `blobs/sha256/${digestHex(l.digest)}`),
      },
    ];
    const text = (v: unknown) => Buffer.from(JSON.stringify(v));
    const repos: Record<string, Record<string, string>> = {};
    for (const t of tags) {
      const colon = t.lastIndexOf(":");
      (repos[t.slice(0, colon)] ??= {})[t.slice(colon + 1)] = manifest.config.digest.slice(7);
    }
    for (const [name, bytes] of [
      ["manifest.json", text(docker)],
      ["repositories", text(repos)],
    ] as const)
      entries.push({ path: name, type: "file", mode: 0o644, size: bytes.length, source: { bytes } });
  }
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await pipeline(Readable.from(tarChunks(entries)), fs.createWriteStream(tmp));
    await fs.promises.rename(tmp, file);
  } finally {
    await fs.promises.rm(tmp, { force: true });
  }
}

/** Extracts the regular files and directories of an (uncompressed) tar; refuses paths that escape. */
export function extractArchive(file: string, dest: string): void {
  const fd = fs.openSync(file, "r");
  try {
    const size = fs.fstatSync(fd).size;
    for (const h of listTarFile(fd, size)) {
      const rel = path.posix.normalize(h.path);
      if (rel.startsWith("../") || rel === ".." || path.posix.isAbsolute(rel))
        throw new UserError(`${file}: entry "${h.path}" points outside the archive`, {
          hint: "the archive is not a safe image tarball",
        });
      const target = path.join(dest, rel);
      if (h.type === "dir") fs.mkdirSync(target, { recursive: true });
      if (h.type !== "file") continue;
      fs.mkdirSync(path.dirname(target), { recursive: true });
      const out = fs.openSync(target, "w");
      try {
        const buf = Buffer.allocUnsafe(1 << 20);
        for (let done = 0; done < h.size;) {
          const n = fs.readSync(fd, buf, 0, Math.min(buf.length, h.size - done), h.offset + done);
          if (n === 0)
            throw new UserError(`${file} is truncated`, { hint: "copy or download the image tarball again" });
          fs.writeSync(out, buf, 0, n);
          done += n;
        }
      } finally {
        fs.closeSync(out);
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}
