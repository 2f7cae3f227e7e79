/**
 * Files and folders written whole or not at all: a temp beside the target, renamed over it. Renaming over
 * an existing path replaces whatever is there, so the target is checked first: only a regular file
 * (or a link to one) is replaced. `-o /dev/null` run as root would otherwise replace the device node,
 * a FIFO would be swapped for a file its reader never sees, and a directory fails with EISDIR.
 */
import fs from "node:fs";
import path from "node:path";
import { UserError } from "./errors.js";
import { kindOf } from "./read-regular-file.js";

function statOrUndefined(p: string, follow: boolean): fs.Stats | undefined {
  try {
    return follow ? fs.statSync(p) : fs.lstatSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "ENOTDIR") return undefined; // reported by checkParents
    throw e;
  }
}

/** Refuses an output path whose parent chain runs through a file (`-o model.onnx/out.onnx`). */
function checkParents(file: string, what: string): void {
  let dir = path.dirname(path.resolve(file));
  for (;;) {
    const st = statOrUndefined(dir, true);
    if (st) {
      if (!st.isDirectory()) {
        throw new UserError(`cannot write ${what} ${file}: ${dir} is ${kindOf(st)}, not a directory`, {
          hint: "choose an output path whose folders are folders (or remove the file in the way)",
        });
      }
      return;
    }
    const up = path.dirname(dir);
    if (up === dir) return;
    dir = up;
  }
}

/**
 * Checks, before anything is written, that `file` can be replaced by an atomic rename: its folders
 * are folders, and it is absent, a regular file or a link to one. Throws a UserError otherwise.
 */
export function checkOutputFile(file: string, what = "output"): void {
  checkParents(file, what);
  const st = statOrUndefined(path.resolve(file), true);
  if (!st || st.isFile()) return;
  throw new UserError(`${what} ${file} is ${kindOf(st)}, not a regular file; nothing was written`, {
    hint: st.isDirectory()
      ? "give the path of a file (inside that directory if you like), not the directory itself"
      : "mlpack writes a complete file and renames it into place, which would replace this special file; give a regular file path",
  });
}

/** Creates an output directory (and its parents), with a UserError when a file is in the way. */
export function ensureOutputDir(dir: string, what = "output directory"): void {
  checkParents(path.join(dir, "x"), what);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM" || code === "EROFS")
      throw new UserError(`cannot create ${what} ${dir}: permission denied (${code})`, {
        hint: "choose a folder you can write to",
      });
    throw e;
  }
}

export function writeFileAtomic(file: string, text: string | Uint8Array, what = "output"): void {
  checkOutputFile(file, what);
  const dir = path.dirname(path.resolve(file));
  ensureOutputDir(dir);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** Writes files into a fresh temp directory beside `outDir`, then swaps it into place. */
export async function writeDirAtomically(
  outDir: string,
  write: (tmp: string) => Promise<void>,
): Promise<void> {
  const parent = path.dirname(path.resolve(outDir));
  await fs.promises.mkdir(parent, { recursive: true });
  const tmp = await fs.promises.mkdtemp(path.join(parent, `.${path.basename(outDir)}.tmp-`));
  try {
    // mkdtemp makes the directory private (0700); the result is meant to be served and shared.
    await fs.promises.chmod(tmp, 0o755);
    await write(tmp);
    if (fs.existsSync(outDir)) {
      const old = `${tmp}.old`;
      await fs.promises.rename(outDir, old);
      await fs.promises.rename(tmp, outDir);
      await fs.promises.rm(old, { recursive: true, force: true });
    } else {
      await fs.promises.rename(tmp, outDir);
    }
  } catch (e) {
    await fs.promises.rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
