/**
 * examples/github-actions/mlpack.yml, the workflow the README's CI recipe tells users to copy: it
 * parses, every `mlpack` command and flag it runs exists in this CLI, it installs mlpack without the
 * npm registry (mlpack is not published), keys the baseline cache by the hardware fingerprint and
 * benchmarks once per run.
 */
import fs from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { collectFingerprint } from "../src/bench/fingerprint.js";
import { REPO, runInProcess } from "./helpers/cli.js";

interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}

const FILE = path.join(REPO, "examples/github-actions/mlpack.yml");
const workflow = parse(fs.readFileSync(FILE, "utf8")) as {
  on: Record<string, unknown>;
  jobs: Record<string, { steps: Step[]; env?: Record<string, string> }>;
};
const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
const scripts = steps.flatMap((s) => (s.run ? [s.run] : []));

/** Each `mlpack ...` invocation in the run scripts as its words ("mlpack-*.tgz", ".mlpack/" are not). */
function invocations(script: string): string[][] {
  const out: string[][] = [];
  for (const m of script.matchAll(/(?:^|[\s($;&|])mlpack(?=[ \t]|$)([^\n;|&)]*)/gm))
    out.push(m[1].trim().split(/\s+/).filter(Boolean));
  return out;
}

const calls = scripts.flatMap(invocations);

describe("the GitHub Actions example", () => {
  it("parses, for push to main and pull requests", () => {
    expect(Object.keys(workflow.on).sort()).toEqual(["pull_request", "push"]);
    expect(steps.length).toBeGreaterThan(5);
    for (const s of steps) expect(s.run !== undefined || s.uses !== undefined, JSON.stringify(s)).toBe(true);
  });

  it("runs only mlpack commands and flags this CLI has", async () => {
    expect(calls.length).toBeGreaterThanOrEqual(5);
    const checked: string[] = [];
    for (const words of calls) {
      const command = words.find((w) => !w.startsWith("-"));
      const flags = words.filter((w) => w.startsWith("--")).map((w) => w.split("=")[0]);
      const help = await runInProcess(command ? [command, "--help"] : ["--help"]);
      expect(help.code, `mlpack ${command ?? ""} --help: ${help.stderr}`).toBe(0);
      if (command) expect(help.stdout, `mlpack ${command}`).toContain(`Usage: mlpack ${command}`);
      for (const flag of flags) {
        expect(help.stdout, `mlpack ${command ?? ""} ${flag}`).toMatch(new RegExp(`(^|[ ,])${flag}\\b`, "m"));
        checked.push(`${command ?? ""} ${flag}`);
      }
    }
    expect(checked).toEqual(expect.arrayContaining(["build --save-baseline", "fingerprint --id"]));
  });

  it("installs mlpack from its repository as a packed tarball, not from the npm registry", () => {
    const install = scripts.find((s) => /npm pack/.test(s));
    expect(install).toBeDefined();
    expect(install).toMatch(/npm ci\s*\n\s*npm run build/);
    expect(install).toMatch(/npm install --global "\$RUNNER_TEMP"\/mlpack-\*\.tgz/);
    expect(scripts.join("\n")).not.toMatch(/npm install (--global|-g) mlpack(\s|$)/);
    const checkout = steps.find((s) => s.with?.path === ".mlpack-src");
    expect(checkout?.uses).toMatch(/^actions\/checkout@/);
  });

  it("keys the baseline cache by the hardware fingerprint", async () => {
    const hardware = steps.find((s) => s.id === "hardware");
    expect(hardware?.run).toContain("mlpack fingerprint --id");
    const caches = steps.filter((s) => /^actions\/cache\/(restore|save)@/.test(s.uses ?? ""));
    expect(caches.map((s) => s.uses!.split("@")[0])).toEqual(["actions/cache/restore", "actions/cache/save"]);
    for (const s of caches) {
      expect(s.with?.path).toBe(".mlpack/baseline.json");
      expect(String(s.with?.key)).toContain("${{ steps.hardware.outputs.id }}");
    }
    expect(caches[0].with?.key).toBe(caches[1].with?.key);
    expect(String(caches[0].with?.["restore-keys"])).toContain("${{ steps.hardware.outputs.id }}");
    // What that step prints: the id a baseline records.
    const r = await runInProcess(["fingerprint", "--id"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(collectFingerprint().id);
    expect(r.stdout.trim()).toMatch(/^[0-9a-f]{12}$/);
  });

  it("benchmarks once per run: one step builds, each branch of it runs one build", () => {
    const building = steps.filter(
      (s) => s.run && invocations(s.run).some((w) => /^(build|bench)$/.test(w[0])),
    );
    expect(building.map((s) => s.name)).toEqual(["mlpack build"]);
    // An if/elif/else: the main branch pushes and saves the baseline from the same (gated) build.
    const branches = building[0].run!.split(/\n\s*(?:elif|else)\b/);
    expect(branches).toHaveLength(3);
    for (const b of branches) expect(invocations(b).filter((w) => w[0] === "build")).toHaveLength(1);
    expect(branches[0]).toContain("refs/heads/main");
    expect(branches[0]).toMatch(/mlpack build --push --save-baseline \.mlpack\/baseline\.json/);
    // The baseline cache is saved only on main, after that build passed.
    const save = steps.find((s) => s.uses?.startsWith("actions/cache/save@"));
    expect(save?.if).toMatch(/github\.ref == 'refs\/heads\/main'/);
    expect(save?.if).not.toMatch(/always\(\)/);
  });
});
