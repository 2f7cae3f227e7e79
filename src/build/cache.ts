/**
 * The build cache: each step's result is stored under a key made of content hashes (the model bytes,
 * the step's options, mlpack's version, the hardware fingerprint for benchmarks). A second build with
 * no change reuses every result whose key matches and whose output files are still there, unchanged.
 * File hashes are themselves cached by (path, size, mtime) so an unchanged 100 MB model is not re-read.
 * Paths in entries and in the hash table are relative to the output folder (`root`) when they lie in
 * the project, so a copied project (cp -a) keeps its cache.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../write-atomic.js";
import { projectRelative, relativizePaths } from "./paths.js";

export interface CachedFile {
  path: string;
  size: number;
  mtimeMs: number;
}

interface Entry<T> {
  key: string;
  data: T;
  files: CachedFile[];
}

/** sha256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const h = crypto.createHash("sha256");
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

export function hashJson(value: unknown): string {
  return crypto.createHash("sha256").update(JSON.stringify(value)).digest("hex");
}

/** Files below a directory (or the file itself), sorted, for keys and freshness checks. */
export function listFiles(p: string): string[] {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return [p];
  return fs
    .readdirSync(p, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name))
    .sort();
}

/** mtime to the millisecond: copies (cp -a, tar, fs.cpSync) keep no finer precision. */
const mtimeOf = (st: fs.Stats) => Math.round(st.mtimeMs);

function stamp(file: string, shown = file): CachedFile {
  const st = fs.statSync(file);
  return { path: shown, size: st.size, mtimeMs: mtimeOf(st) };
}

export class BuildCache {
  private hashes: Record<string, { size: number; mtimeMs: number; sha256: string }> = {};
  private readonly hashFile: string;

  /**
   * `reuse: false` (--no-cache) ignores what is stored but still records this build's results.
   * `root` (default: the folder above `dir`, the output folder) is what stored paths are relative
   * to; `project` lists the folders whose paths are stored relative (default: [root]).
   */
  constructor(
    readonly dir: string,
    readonly reuse = true,
    readonly root = path.dirname(path.resolve(dir)),
    readonly project: string[] = [root],
  ) {
    this.hashFile = path.join(dir, "file-hashes.json");
    if (reuse && fs.existsSync(this.hashFile)) {
      try {
        this.hashes = JSON.parse(fs.readFileSync(this.hashFile, "utf8")) as typeof this.hashes;
      } catch {
        this.hashes = {};
      }
    }
  }

  /** sha256 of a file, reusing the stored one when size and mtime are unchanged. */
  async fileHash(file: string): Promise<string> {
    const abs = path.resolve(file);
    const st = fs.statSync(abs);
    const id = this.stored(abs);
    const known = this.hashes[id];
    if (known && known.size === st.size && known.mtimeMs === mtimeOf(st)) return known.sha256;
    const sha256 = await sha256File(abs);
    this.hashes[id] = { size: st.size, mtimeMs: mtimeOf(st), sha256 };
    return sha256;
  }

  /** What identifies a file, directory's files or a non-file input (e.g. random:8) in a key. */
  async contentId(p: string | undefined): Promise<unknown> {
    if (p === undefined || !fs.existsSync(p)) return p ?? null;
    const files = listFiles(p);
    if (files.length === 1 && files[0] === p) return this.fileHash(p);
    return hashJson(await Promise.all(files.map(async (f) => [path.relative(p, f), await this.fileHash(f)])));
  }

  /** A path as stored: relative to `root` when it lies in the project. */
  stored(p: string): string {
    return projectRelative(path.resolve(p), this.root, this.project);
  }

  /** A stored path as an absolute one. */
  resolve(p: string): string {
    return path.resolve(this.root, p);
  }

  /** The stored result for `step` when its key matches and its files are untouched. */
  get<T>(step: string, key: string): T | undefined {
    if (!this.reuse) return undefined;
    const file = this.entryFile(step);
    if (!fs.existsSync(file)) return undefined;
    let entry: Entry<T>;
    try {
      entry = JSON.parse(fs.readFileSync(file, "utf8")) as Entry<T>;
    } catch {
      return undefined;
    }
    if (entry.key !== key) return undefined;
    for (const f of entry.files) {
      const abs = this.resolve(f.path);
      if (!fs.existsSync(abs)) return undefined;
      const now = stamp(abs);
      if (now.size !== f.size || now.mtimeMs !== f.mtimeMs) return undefined;
    }
    return entry.data;
  }

  /**
   * Stores a step's result with the files (or directories) it wrote. Absolute paths in `data` that
   * lie in the project are stored relative to `root`: read them back through resolve().
   */
  put<T>(step: string, key: string, data: T, outputs: string[]): void {
    const files = outputs.flatMap((o) => listFiles(o)).map((f) => stamp(f, this.stored(f)));
    const stored = relativizePaths(data, this.root, this.project);
    writeFileAtomic(this.entryFile(step), JSON.stringify({ key, data: stored, files } satisfies Entry<T>));
  }

  save(): void {
    writeFileAtomic(this.hashFile, JSON.stringify(this.hashes));
  }

  private entryFile(step: string): string {
    return path.join(this.dir, `${step}.json`);
  }
}
