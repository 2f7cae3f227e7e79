/**
 * Templates are real files under templates/<target>/ with {{placeholders}}; template.json lists every
 * placeholder. Rendering fails on a value the template does not declare, a declared key without a
 * value, or a {{key}} left in the output.
 */
import fs from "node:fs";
import path from "node:path";

export interface TemplateManifest {
  files: string[];
  placeholders: Record<string, string>;
}

export function readTemplateManifest(dir: string): TemplateManifest {
  return JSON.parse(fs.readFileSync(path.join(dir, "template.json"), "utf8")) as TemplateManifest;
}

const KEY = /\{\{([A-Za-z0-9_]+)\}\}/g;

/** Replaces {{key}}; throws on unknown keys, missing values and leftovers. */
export function renderTemplate(
  text: string,
  values: Record<string, string>,
  manifest: TemplateManifest,
  source = "template",
): string {
  const declared = new Set(Object.keys(manifest.placeholders));
  for (const k of Object.keys(values))
    if (!declared.has(k)) throw new Error(`${source}: value for undeclared placeholder "${k}"`);
  for (const k of declared)
    if (values[k] === undefined) throw new Error(`${source}: no value for placeholder "${k}"`);
  const out = text.replace(KEY, (whole, k: string) => {
    if (!declared.has(k)) throw new Error(`${source}: unknown placeholder ${whole}`);
    return values[k];
  });
  const left = /\{\{[^}]*\}\}/.exec(out);
  if (left) throw new Error(`${source}: placeholder ${left[0]} left after rendering`);
  return out;
}

/** Renders every file of a template directory: name → text. */
export function renderTemplateDir(dir: string, values: Record<string, string>): Map<string, string> {
  const manifest = readTemplateManifest(dir);
  const out = new Map<string, string>();
  for (const f of manifest.files)
    out.set(
      f,
      renderTemplate(fs.readFileSync(path.join(dir, f), "utf8"), values, manifest, path.join(dir, f)),
    );
  return out;
}
