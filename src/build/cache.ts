/**
 * The build cache: each step's result is stored under a key made of content hashes (the model bytes,
 * the step's options, mlpack's version, the hardware fingerprint for benchmarks). A second build with
 * no change reuses every result whose key matches and whose output files are still there, unchanged.
 * File hashes are themselves cached by (path, size, mtime) so an unchanged 100 MB model is not re-read.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../write-atomic.js";

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

function stamp(file: string): CachedFile {
  const st = fs.statSync(file);
  return { path: file, size: st.size, mtimeMs: st.mtimeMs };
}

export class BuildCache {
  private hashes: Record<string, { size: number; mtimeMs: number; sha256: string }> = {};
  private readonly hashFile: string;

  /** `reuse: false` (--no-cache) ignores what is stored but still records this build's results. */
  constructor(
    readonly dir: string,
    readonly reuse = true,
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
    const known = this.hashes[abs];
    if (known && known.size === st.size && known.mtimeMs === st.mtimeMs) return known.sha256;
    const sha256 = await sha256File(abs);
    this.hashes[abs] = { size: st.size, mtimeMs: st.mtimeMs, sha256 };
    return sha256;
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
      if (!fs.existsSync(f.path)) return undefined;
      const now = stamp(f.path);
      if (now.size !== f.size || now.mtimeMs !== f.mtimeMs) return undefined;
    }
    return entry.data;
  }

  /** Stores a step's result with the files (or directories) it wrote. */
  put<T>(step: string, key: string, data: T, outputs: string[]): void {
    const files = outputs.flatMap((o) => listFiles(o)).map(stamp);
    writeFileAtomic(this.entryFile(step), JSON.stringify({ key, data, files } satisfies Entry<T>));
  }

  save(): void {
    writeFileAtomic(this.hashFile, JSON.stringify(this.hashes));
  }

  private entryFile(step: string): string {
    return path.join(this.dir, `${step}.json`);
  }
}
