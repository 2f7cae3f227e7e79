/**
 * Paths named in a config, checked before a build touches them, so that each mistake is a user
 * error naming the config file and the key: a model that is a directory or a device, an output
 * directory that is really a file.
 */
import fs from "node:fs";
import { UserError } from "../errors.js";
import { statRegularFile } from "../read-regular-file.js";

/** `abs` (the value of `key` in `configFile`) must be a regular file within `maxBytes`. */
export function checkConfigFile(
  configFile: string,
  key: string,
  abs: string,
  what: string,
  maxBytes: number,
): void {
  try {
    statRegularFile(abs, { what, maxBytes });
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`${configFile}: ${key}: ${e.message}`, { hint: e.hint });
    throw e;
  }
}

/** `abs` (the value of `key`) must be a directory or not exist yet; a parent that is a file is an error. */
export function checkConfigOutputDir(configFile: string, key: string, abs: string): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return;
    if (code === "ENOTDIR")
      throw new UserError(`${configFile}: ${key}: ${abs} is inside a file, not a directory`, {
        hint: `set ${key} to a directory path`,
      });
    throw new UserError(`${configFile}: ${key}: cannot use ${abs} (${code ?? String(e)})`, {
      hint: `set ${key} to a directory you can write`,
    });
  }
  if (!st.isDirectory())
    throw new UserError(`${configFile}: ${key}: ${abs} is a file, not a directory`, {
      hint: `set ${key} to a directory (build outputs go inside it), or move the file away`,
    });
}
