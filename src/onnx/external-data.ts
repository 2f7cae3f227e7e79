/**
 * External data (fixtures/onnx-spec/ExternalData.md) with the defences of ExternalDataSecurity.md:
 * key whitelist, non-negative integer offset/length, no absolute paths or "..", canonical-path
 * containment, no symlinks in any component, no hardlinks, post-open inode check, bounds against the
 * real file size. Every refusal names the tensor, the rule and the fix.
 */
import fs from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";
import type { TensorProto } from "./proto.js";
import { ModelFormatError } from "../errors.js";
import { printable } from "../printable.js";

export interface ExternalDataRef {
  location: string;
  offset: number;
  /** Absent means "to the end of the file". */
  length?: number;
  checksum?: string;
}

/** "basepath" is accepted for compatibility but never followed: the model's directory is the base. */
const ALLOWED_KEYS = new Set(["location", "offset", "length", "checksum", "basepath"]);

function refuse(t: TensorProto, what: string, hint: string): never {
  throw new ModelFormatError(`tensor "${printable(t.name)}": external data ${what}`, { hint });
}

function parseCount(t: TensorProto, key: string, value: string): number {
  if (!/^\d+$/.test(value.trim())) {
    refuse(t, `${key} "${value}" is not a non-negative integer`, `set ${key} to a byte count such as "0"`);
  }
  const n = Number(value.trim());
  if (!Number.isSafeInteger(n))
    refuse(t, `${key} ${value} is too large`, "the model file is corrupt or hostile");
  return n;
}

export function parseExternalData(t: TensorProto): ExternalDataRef {
  const seen = new Map<string, string>();
  for (const { key, value } of t.externalData) {
    if (!ALLOWED_KEYS.has(key)) {
      refuse(
        t,
        `has unknown key "${key}"`,
        `only ${[...ALLOWED_KEYS].join(", ")} are allowed; remove "${key}"`,
      );
    }
    if (seen.has(key)) refuse(t, `repeats key "${key}"`, "each key may appear once");
    seen.set(key, value);
  }
  const location = seen.get("location");
  if (location === undefined || location === "") {
    refuse(t, `has no "location"`, "add a location key naming the data file beside the model");
  }
  checkLocationSyntax(t, location);
  const ref: ExternalDataRef = { location, offset: 0 };
  const offset = seen.get("offset");
  if (offset !== undefined) ref.offset = parseCount(t, "offset", offset);
  const length = seen.get("length");
  if (length !== undefined) ref.length = parseCount(t, "length", length);
  const checksum = seen.get("checksum");
  if (checksum !== undefined) {
    if (!/^[0-9a-fA-F]{40}$/.test(checksum))
      refuse(t, `checksum "${printable(checksum)}" is not a SHA-1 hex digest`, "remove it or fix it");
    ref.checksum = checksum.toLowerCase();
  }
  return ref;
}

function checkLocationSyntax(t: TensorProto, location: string): void {
  if (location.includes("\0")) refuse(t, "location contains a NUL byte", "the model is corrupt or hostile");
  if (path.isAbsolute(location) || path.win32.isAbsolute(location) || location.startsWith("\\")) {
    refuse(
      t,
      `location "${printable(location)}" is an absolute path`,
      "locations must be relative to the model's directory",
    );
  }
  if (location.split(/[\\/]/).includes("..")) {
    refuse(
      t,
      `location "${printable(location)}" contains ".."`,
      "data files must sit in the model's directory or below it",
    );
  }
}

export interface ResolvedExternal {
  file: string;
  offset: number;
  length: number;
  fileSize: number;
}

/**
 * Reads external tensors of one model. Files are resolved and checked once, then read with pread; the
 * model directory is canonicalized up front so containment compares real paths.
 */
export class ExternalDataStore {
  readonly baseDir: string;
  private readonly realBase: string;
  private readonly files = new Map<string, { real: string; size: number; ino: number; dev: number }>();
  private readonly checksums = new Map<string, string>();

  constructor(baseDir: string) {
    this.baseDir = path.resolve(baseDir);
    try {
      this.realBase = fs.realpathSync(this.baseDir);
    } catch {
      throw new ModelFormatError(`external data directory "${baseDir}" does not exist`, {
        hint: "keep the data files beside the model, or pass the directory that holds them",
      });
    }
  }

  /** Layers 1, 2 and 4 of ExternalDataSecurity.md, then bounds; no bytes are read. */
  resolve(t: TensorProto): ResolvedExternal {
    const ref = parseExternalData(t);
    const file = this.checkFile(t, ref.location);
    if (ref.offset > file.size) {
      refuse(
        t,
        `offset ${ref.offset} is past the end of "${printable(ref.location)}" (${file.size} bytes)`,
        "the data file is truncated or does not belong to this model",
      );
    }
    const length = ref.length ?? file.size - ref.offset;
    if (ref.offset + length > file.size) {
      refuse(
        t,
        `range ${ref.offset}+${length} runs past the end of "${printable(ref.location)}" (${file.size} bytes)`,
        "the data file is truncated or does not belong to this model",
      );
    }
    return { file: file.real, offset: ref.offset, length, fileSize: file.size };
  }

  private checkFile(t: TensorProto, location: string) {
    const cached = this.files.get(location);
    if (cached) return cached;
    const parts = location.split(/[\\/]/).filter((p) => p !== "" && p !== ".");
    let cur = this.realBase;
    for (let i = 0; i < parts.length; i++) {
      cur = path.join(cur, parts[i]);
      let st: fs.Stats;
      try {
        st = fs.lstatSync(cur);
      } catch {
        refuse(
          t,
          `file "${printable(location)}" was not found in ${this.baseDir}`,
          "copy the data file next to the model (same relative path)",
        );
      }
      if (st.isSymbolicLink()) {
        const which =
          i === parts.length - 1
            ? "is a symbolic link"
            : `goes through a symbolic link ("${printable(parts.slice(0, i + 1).join("/"))}")`;
        refuse(
          t,
          `file "${printable(location)}" ${which}`,
          "replace the link with the real file; links could expose files outside the model directory",
        );
      }
      if (i < parts.length - 1 && !st.isDirectory())
        refuse(t, `path "${printable(location)}" is not under a directory`, "fix the location");
    }
    const real = fs.realpathSync(cur);
    if (real !== this.realBase && !real.startsWith(this.realBase + path.sep)) {
      refuse(
        t,
        `file "${printable(location)}" resolves outside the model directory`,
        "data files must sit in the model's directory or below it",
      );
    }
    const st = fs.statSync(real);
    if (!st.isFile())
      refuse(t, `"${printable(location)}" is not a regular file`, "point location at a data file");
    if (st.nlink > 1) {
      refuse(
        t,
        `file "${printable(location)}" has ${st.nlink} hard links`,
        "copy the data file (cp, not ln) so it is not shared with other paths",
      );
    }
    const entry = { real, size: st.size, ino: st.ino, dev: st.dev };
    this.files.set(location, entry);
    return entry;
  }

  /**
   * The one checksum policy: a recorded SHA-1 is verified when the model is read (readModel calls this
   * for every external tensor), so inspect, validate, serve, convert and build all refuse the same
   * modified data file with the same message. Each file is hashed once.
   */
  verify(t: TensorProto): void {
    const ref = parseExternalData(t);
    if (!ref.checksum) return;
    this.withOpenFile(t, (fd, r) => this.verifyChecksum(t, fd, r, ref.checksum!));
  }

  /** Layer 3: open without following links, verify it is the file that was checked, then read. */
  read(t: TensorProto): Uint8Array {
    const ref = parseExternalData(t);
    return this.withOpenFile(t, (fd, r) => {
      if (ref.checksum) this.verifyChecksum(t, fd, r, ref.checksum);
      const out = Buffer.allocUnsafe(r.length);
      let done = 0;
      while (done < r.length) {
        const n = fs.readSync(fd, out, done, r.length - done, r.offset + done);
        if (n === 0) refuse(t, `file "${printable(r.file)}" ended early`, "the data file is truncated");
        done += n;
      }
      return new Uint8Array(out.buffer, out.byteOffset, out.length);
    });
  }

  private withOpenFile<T>(t: TensorProto, use: (fd: number, r: ResolvedExternal) => T): T {
    const r = this.resolve(t);
    const entry = [...this.files.values()].find((f) => f.real === r.file)!;
    const flags = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0);
    let fd: number;
    try {
      fd = fs.openSync(r.file, flags);
    } catch (e) {
      refuse(
        t,
        `file "${printable(r.file)}" could not be opened safely (${(e as NodeJS.ErrnoException).code})`,
        "replace links with real files",
      );
    }
    try {
      const st = fs.fstatSync(fd);
      if (st.ino !== entry.ino || st.dev !== entry.dev || st.nlink > 1 || !st.isFile()) {
        refuse(
          t,
          `file "${printable(r.file)}" changed while it was being opened`,
          "retry; if it persists the directory is being tampered with",
        );
      }
      return use(fd, r);
    } finally {
      fs.closeSync(fd);
    }
  }

  private verifyChecksum(t: TensorProto, fd: number, r: ResolvedExternal, want: string): void {
    let got = this.checksums.get(r.file);
    if (got === undefined) {
      const h = createHash("sha1");
      const buf = Buffer.allocUnsafe(1 << 20);
      for (let pos = 0; pos < r.fileSize;) {
        const n = fs.readSync(fd, buf, 0, buf.length, pos);
        if (n === 0) break;
        h.update(buf.subarray(0, n));
        pos += n;
      }
      got = h.digest("hex");
      this.checksums.set(r.file, got);
    }
    if (got !== want)
      refuse(
        t,
        `file "${printable(r.file)}" has SHA-1 ${got}, not the recorded ${want}`,
        "the data file was modified or belongs to another model",
      );
  }
}
