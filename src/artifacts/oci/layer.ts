/**
 * One image layer: the deterministic tar of its entries, gzipped by node:zlib (which writes mtime 0
 * and no file name in the gzip header), hashed on the way through: diff_id = sha256 of the tar,
 * digest = sha256 of the gzip. A layer cache keyed by the entries' paths, modes and file stats skips
 * the gzip when nothing changed (the common case for runtime deps when only the model changes).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import { MEDIA, type Descriptor, type OciLayout } from "./layout.js";
import { sortEntries, tarChunks, type TarEntry } from "./tar.js";

export interface LayerResult {
  descriptor: Descriptor;
  diffId: string;
  /** Bytes of the uncompressed tar. */
  uncompressedSize: number;
  /** True when the blob came from the layer cache. */
  cached: boolean;
}

export interface WriteLayerOptions {
  /** gzip level 1-9 (default 6, zlib's and `tar czf`'s default). */
  gzipLevel?: number;
  /** Directory for the layer cache; undefined turns it off. */
  cacheDir?: string;
}

class HashTap extends Transform {
  readonly hash = crypto.createHash("sha256");
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }
}

/**
 * zlib writes the build machine's OS code into byte 9 of the gzip header (3 on Linux, 19 on macOS
 * since zlib 1.2.12), so the same tar would get a different digest per OS; pin it to 255 (unknown),
 * as Go's compress/gzip (and so crane and ko) does.
 */
export class GzipOsByte extends Transform {
  private first = true;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.first && chunk.length >= 10) {
      chunk[9] = 0xff;
      this.first = false;
    } else if (this.first) return done(new Error("gzip header split across chunks"));
    done(null, chunk);
  }
}

export async function writeLayer(
  layout: OciLayout,
  entries: TarEntry[],
  opts: WriteLayerOptions = {},
): Promise<LayerResult> {
  const level = opts.gzipLevel ?? 6;
  const key = opts.cacheDir ? await cacheKey(entries, level) : undefined;
  if (key && opts.cacheDir) {
    const hit = await readCache(opts.cacheDir, key);
    if (hit) {
      await layout.importBlob(
        path.join(opts.cacheDir, "blobs", hit.descriptor.digest.slice(7)),
        hit.descriptor.digest,
      );
      return { ...hit, cached: true };
    }
  }
  const tarTap = new HashTap();
  const gzTap = new HashTap();
  const tmp = layout.tempBlobPath();
  try {
    await pipeline(
      Readable.from(tarChunks(entries), { objectMode: false }),
      tarTap,
      zlib.createGzip({ level, chunkSize: 1 << 16 }),
      new GzipOsByte(),
      gzTap,
      fs.createWriteStream(tmp),
    );
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
  const digest = "sha256:" + gzTap.hash.digest("hex");
  await layout.commitTemp(tmp, digest);
  const result: LayerResult = {
    descriptor: { mediaType: MEDIA.ociLayerGzip, digest, size: gzTap.bytes },
    diffId: "sha256:" + tarTap.hash.digest("hex"),
    uncompressedSize: tarTap.bytes,
    cached: false,
  };
  if (key && opts.cacheDir) await writeCache(opts.cacheDir, key, result, layout.blobPath(digest));
  return result;
}

const SMALL_FILE = 1 << 20;

/** Hash of everything that decides the layer's bytes; small files by content, big ones by stat. */
async function cacheKey(entries: TarEntry[], level: number): Promise<string> {
  const h = crypto.createHash("sha256").update(`mlpack-layer-v3 gzip=${level}\n`);
  for (const e of sortEntries(entries)) {
    h.update(`${e.type} ${JSON.stringify(e.path)} ${e.uid ?? 0}:${e.gid ?? 0}`);
    if (e.type === "dir") h.update(` ${e.mode}`);
    if (e.type === "symlink") h.update(` -> ${JSON.stringify(e.target)}`);
    if (e.type === "file") {
      h.update(` ${e.mode} ${e.size}`);
      if ("bytes" in e.source) h.update(" bytes:").update(e.source.bytes);
      else if (e.size <= SMALL_FILE) h.update(" bytes:").update(await fs.promises.readFile(e.source.file));
      else {
        // Big files by size and mtime: the build context copies keep the source's mtime, so the key
        // holds across output directories without reading (say) a 100 MB model twice.
        const st = await fs.promises.stat(e.source.file);
        h.update(` stat:${st.size}:${st.mtimeMs}`);
      }
    }
    h.update("\n");
  }
  return h.digest("hex");
}

type Cached = Omit<LayerResult, "cached">;

async function readCache(dir: string, key: string): Promise<Cached | undefined> {
  try {
    const hit = JSON.parse(
      await fs.promises.readFile(path.join(dir, "layers", `${key}.json`), "utf8"),
    ) as Cached;
    const blob = path.join(dir, "blobs", hit.descriptor.digest.slice(7));
    const st = await fs.promises.stat(blob);
    return st.size === hit.descriptor.size ? hit : undefined;
  } catch {
    return undefined;
  }
}

async function writeCache(dir: string, key: string, result: LayerResult, blob: string): Promise<void> {
  const { cached: _cached, ...entry } = result;
  await fs.promises.mkdir(path.join(dir, "layers"), { recursive: true });
  await fs.promises.mkdir(path.join(dir, "blobs"), { recursive: true });
  const target = path.join(dir, "blobs", result.descriptor.digest.slice(7));
  if (!fs.existsSync(target)) {
    const tmp = `${target}.tmp-${process.pid}`;
    try {
      await fs.promises.link(blob, tmp);
    } catch {
      await fs.promises.copyFile(blob, tmp);
    }
    await fs.promises.rename(tmp, target);
  }
  const file = path.join(dir, "layers", `${key}.json`);
  await fs.promises.writeFile(`${file}.tmp-${process.pid}`, JSON.stringify(entry));
  await fs.promises.rename(`${file}.tmp-${process.pid}`, file);
}
