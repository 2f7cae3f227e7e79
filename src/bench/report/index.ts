/** Renders a bench outcome in the requested formats: one to stdout, the rest to files. */
import { writeBaseline } from "../baseline.js";
import { writeFileAtomic } from "../../write-atomic.js";
import type { BenchOutcome } from "../types.js";
import { renderGithub } from "./github.js";
import { renderHtml } from "./html.js";
import { renderJson } from "./json.js";
import { renderJunit } from "./junit.js";
import { renderMarkdown } from "./markdown.js";
import { renderText } from "./text.js";

export { renderGithub, renderHtml, renderJson, renderJunit, renderMarkdown, renderText };

export interface OutputRequest {
  /** true: to stdout; a string: to that file. */
  json?: boolean | string;
  markdown?: boolean | string;
  junit?: string;
  html?: string;
  github?: boolean;
  saveBaseline?: string;
}

/** Writes the file outputs and returns what goes to stdout. */
export function emitReports(
  outcome: BenchOutcome,
  req: OutputRequest,
): { stdout: string[]; files: string[] } {
  const { report, comparison } = outcome;
  const files: [string, string][] = [];
  if (typeof req.json === "string") files.push([req.json, renderJson(report, comparison) + "\n"]);
  if (typeof req.markdown === "string") files.push([req.markdown, renderMarkdown(report, comparison)]);
  if (req.junit) files.push([req.junit, renderJunit(report, comparison)]);
  if (req.html) files.push([req.html, renderHtml(report, comparison)]);
  for (const [f, text] of files) writeFileAtomic(f, text);
  if (req.saveBaseline) writeBaseline(req.saveBaseline, report);
  const stdout: string[] = [];
  if (req.json === true) stdout.push(renderJson(report, comparison));
  else if (req.markdown === true) stdout.push(renderMarkdown(report, comparison).trimEnd());
  else stdout.push(renderText(report, comparison));
  if (req.github) {
    const gh = renderGithub(report, comparison);
    if (gh) stdout.push(gh);
  }
  return { stdout, files: [...files.map(([f]) => f), ...(req.saveBaseline ? [req.saveBaseline] : [])] };
}
