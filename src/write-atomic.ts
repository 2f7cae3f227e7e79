/** Files and folders written whole or not at all: a temp beside the target, renamed over it. */
import fs from "node:fs";
import path from "node:path";

export function writeFileAtomic(file: string, text: string): void {
  const dir = path.dirname(path.resolve(file));
  fs.mkdirSync(dir, { recursive: true });
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
