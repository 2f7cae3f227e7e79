/**
 * The resume record: which parts are complete and how many input rows each consumed. A part is
 * written to a temp name and renamed before the manifest that lists it is replaced (atomically), so
 * after a kill the manifest never lists a part that is not whole, and a part not listed is redone.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { UserError } from "../errors.js";
import { writeFileAtomic } from "../write-atomic.js";

export interface PartRecord {
  file: string;
  /** JSON Lines of rejected rows, when the part had any. */
  rejects?: string;
  read: number;
  written: number;
  rejected: number;
  /**
   * Set for a part whose column data was appended to DATA_FILE (a Parquet output's direct parts): it
   * ends there at this byte, and `file` holds only its footer (the row group, at its place in
   * DATA_FILE). Such parts come first; the data file is cut back to the last one's end on --resume.
   */
  end?: number;
}

/** The file in the parts folder that a Parquet output's direct parts are appended to (see finalize). */
export const DATA_FILE = "data.parquet";

/** Where the last part appended to DATA_FILE ends; undefined when none was. */
export function dataEnd(m: Manifest): number | undefined {
  let end: number | undefined;
  for (const p of m.parts) if (p.end !== undefined) end = p.end;
  return end;
}

export interface Manifest {
  version: 1;
  /** What the parts were computed from; a resume with anything else would mix two jobs. */
  job: Record<string, unknown>;
  parts: PartRecord[];
}

export const MANIFEST = "manifest.json";

export function readManifest(dir: string): Manifest | undefined {
  const file = path.join(dir, MANIFEST);
  if (!fs.existsSync(file)) return undefined;
  try {
    const m = JSON.parse(fs.readFileSync(file, "utf8")) as Manifest;
    if (m.version !== 1 || !Array.isArray(m.parts)) throw new Error("unknown version");
    return m;
  } catch (e) {
    throw new UserError(`${file}: unreadable resume manifest (${(e as Error).message})`, {
      hint: "pass --restart to discard the interrupted run and start over",
    });
  }
}

export function writeManifest(dir: string, m: Manifest): void {
  writeFileAtomic(path.join(dir, MANIFEST), JSON.stringify(m, null, 2) + "\n");
}

/**
 * The first key in which two job descriptions differ, or undefined when they are the same job. Keys of
 * objects inside compare in any order (`--shape a=.. --shape b=..` is the job of the two swapped);
 * arrays keep theirs (`--keep id,ts` is not `--keep ts,id`).
 */
export function jobDifference(a: Record<string, unknown>, b: Record<string, unknown>): string | undefined {
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)]))
    if (canonicalJson(a[k]) !== canonicalJson(b[k])) return k;
  return undefined;
}

/** JSON with every object's keys sorted. */
function canonicalJson(v: unknown): string | undefined {
  return JSON.stringify(v, (_, x: unknown) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0)))
      : x,
  );
}

export function sha256File(file: string): string {
  const h = crypto.createHash("sha256");
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest("hex");
}

export const partName = (i: number) => `part-${String(i).padStart(5, "0")}`;
