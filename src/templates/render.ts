/**
 * Templates are real files with `{{key}}` placeholders. Rendering fails on a placeholder the caller
 * did not provide and on a value the template never uses, so templates and code cannot drift apart.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const TEMPLATES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../templates");

const PLACEHOLDER = /\{\{\s*([a-zA-Z0-9_.]+)\s*\}\}/g;

export class TemplateError extends Error {}

export function placeholders(text: string): Set<string> {
  return new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]));
}

export function renderTemplate(text: string, values: Record<string, string>, name = "template"): string {
  const used = placeholders(text);
  const missing = [...used].filter((k) => !(k in values));
  if (missing.length) throw new TemplateError(`${name}: no value for placeholder(s) ${missing.join(", ")}`);
  const unused = Object.keys(values).filter((k) => !used.has(k));
  if (unused.length) throw new TemplateError(`${name}: value(s) ${unused.join(", ")} match no placeholder`);
  return text.replace(PLACEHOLDER, (_, k: string) => values[k]);
}

/** Reads templates/<relative> and renders it. */
export function renderTemplateFile(relative: string, values: Record<string, string>): string {
  return renderTemplate(
    fs.readFileSync(path.join(TEMPLATES_DIR, relative), "utf8"),
    values,
    `templates/${relative}`,
  );
}
