/**
 * Deterministic zip archives with yazl (small, streaming, no native code, and it lets every entry's
 * time, mode and compression be set, which is what byte-identical output needs). Entries are sorted,
 * every directory has its own entry, times are fixed at 1980-01-01 00:00 in the DOS field only (no
 * extended-timestamp field, whose Unix time would depend on the time zone), and Unix modes are 0644 for
 * files, 0755 for directories and executables. Written to a temp file and renamed when complete.
 */
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import yazl from "yazl";
import { checkOutputFile, ensureOutputDir } from "../../write-atomic.js";

export type ZipSource = { file: string } | { data: Buffer };

export interface ZipEntrySpec {
  /** Path inside the archive, "/"-separated, no leading slash. */
  path: string;
  source: ZipSource;
  executable?: boolean;
}

export interface ZipWriteResult {
  path: string;
  bytes: number;
  sha256: string;
}

/**
 * DOS times have no zone and yazl encodes a Date with its local-time fields, so the Date is built from
 * local fields when writing (not once at load: the zone may change) and encodes as 1980-01-01 00:00.
 */
const fixedTime = () => new Date(1980, 0, 1, 0, 0, 0);
export const FILE_MODE = 0o100644;
export const EXEC_MODE = 0o100755;
export const DIR_MODE = 0o040755;

export async function writeZip(
  out: string,
  entries: ZipEntrySpec[],
  opts: { compressionLevel?: number } = {},
): Promise<ZipWriteResult> {
  const level = opts.compressionLevel ?? 9;
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i].path === sorted[i - 1].path) throw new Error(`zip: duplicate entry ${sorted[i].path}`);
  const dirs = new Set<string>();
  for (const e of sorted) {
    const parts = e.path.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/") + "/");
  }
  // Directories and files in one sorted order, so a directory precedes what it holds.
  const all = [
    ...[...dirs].map((d) => ({ path: d, dir: true as const })),
    ...sorted.map((e) => ({ ...e, dir: false as const })),
  ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const FIXED_TIME = fixedTime();
  const zip = new yazl.ZipFile();
  for (const e of all) {
    if (e.dir) {
      zip.addEmptyDirectory(e.path, { mtime: FIXED_TIME, mode: DIR_MODE, forceDosTimestamp: true });
      continue;
    }
    const o = {
      mtime: FIXED_TIME,
      mode: e.executable ? EXEC_MODE : FILE_MODE,
      forceDosTimestamp: true,
      compressionLevel: level,
    };
    if ("file" in e.source) zip.addFile(e.source.file, e.path, o);
    else zip.addBuffer(e.source.data, e.path, o);
  }
  zip.end();

  checkOutputFile(out, "Lambda zip");
  ensureOutputDir(path.dirname(path.resolve(out)));
  const tmp = `${out}.tmp-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
  const hash = crypto.createHash("sha256");
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  try {
    await pipeline(zip.outputStream, tap, fs.createWriteStream(tmp));
    await fs.promises.rename(tmp, out);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
  return { path: out, bytes, sha256: hash.digest("hex") };
}
