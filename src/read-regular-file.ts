/**
 * Reading a file the user named, safely: it must be a regular file (a directory, /dev/zero, a FIFO
 * or a socket would hang the read or grow it without end), no larger than a cap, and the read takes
 * at most the size that fstat reported on the opened handle. O_NONBLOCK keeps open() itself from
 * waiting on a FIFO that was swapped in after the stat.
 */
import fs from "node:fs";
import { UserError } from "./errors.js";

export interface RegularFileOptions {
  /** Largest accepted size in bytes. */
  maxBytes: number;
  /** What the file is, for messages ("model", "config file"). */
  what: string;
  /** What to do about an oversized file. */
  sizeHint?: string;
}

/** "a directory", "a FIFO (named pipe)", ...: what a path is, for messages. */
export function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isSocket()) return "a socket";
  if (st.isFile()) return "a file";
  return "not a regular file";
}

export function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(n % (1 << 30) ? 1 : 0)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(n % (1 << 20) ? 1 : 0)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(n % (1 << 10) ? 1 : 0)} KiB`;
  return `${n} bytes`;
}

function errnoError(file: string, e: unknown, what: string): UserError {
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === "ENOENT"
      ? "no such file"
      : code === "EACCES"
        ? "permission denied"
        : code === "ENOTDIR"
          ? "a parent of it is not a directory"
          : String(code ?? e);
  return new UserError(`cannot read ${what} ${file}: ${why}`, {
    hint: "check the path and that the file is readable",
  });
}

/** Throws a UserError unless `st` is a regular file within the cap. */
export function checkRegularStats(file: string, st: fs.Stats, opts: RegularFileOptions): void {
  if (!st.isFile())
    throw new UserError(`${file} is ${kindOf(st)}, not a ${opts.what} file`, {
      hint: st.isDirectory()
        ? `pass the path of the ${opts.what} file itself`
        : `pass the path of a regular ${opts.what} file; mlpack does not read devices, pipes or sockets`,
    });
  if (st.size > opts.maxBytes)
    throw new UserError(
      `${file}: ${formatBytes(st.size)} is over the ${formatBytes(opts.maxBytes)} limit for a ${opts.what} file`,
      { hint: opts.sizeHint ?? `check that this is the right file` },
    );
}

/** stat() without reading: a regular file within the cap, or a UserError. */
export function statRegularFile(file: string, opts: RegularFileOptions): fs.Stats {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw errnoError(file, e, opts.what);
  }
  checkRegularStats(file, st, opts);
  return st;
}

const FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

export async function readRegularFile(file: string, opts: RegularFileOptions): Promise<Buffer> {
  statRegularFile(file, opts);
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, FLAGS);
  } catch (e) {
    throw errnoError(file, e, opts.what);
  }
  try {
    const st = await fh.stat();
    checkRegularStats(file, st, opts);
    const out = Buffer.allocUnsafe(st.size);
    let done = 0;
    while (done < st.size) {
      const { bytesRead } = await fh.read(out, done, st.size - done, done);
      if (bytesRead === 0) break; // truncated while reading: what is there is what it is
      done += bytesRead;
    }
    return out.subarray(0, done);
  } finally {
    await fh.close();
  }
}

export function readRegularFileSync(file: string, opts: RegularFileOptions): Buffer {
  statRegularFile(file, opts);
  let fd: number;
  try {
    fd = fs.openSync(file, FLAGS);
  } catch (e) {
    throw errnoError(file, e, opts.what);
  }
  try {
    const st = fs.fstatSync(fd);
    checkRegularStats(file, st, opts);
    const out = Buffer.allocUnsafe(st.size);
    let done = 0;
    while (done < st.size) {
      const n = fs.readSync(fd, out, done, st.size - done, done);
      if (n === 0) break;
      done += n;
    }
    return out.subarray(0, done);
  } finally {
    fs.closeSync(fd);
  }
}
