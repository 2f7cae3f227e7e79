/**
 * The system components the end-to-end suites run against, and what a suite does when one is
 * missing. On a developer's machine it is skipped and says why; with CI=true it FAILS with the
 * install command, so a CI machine that lost a package cannot look green by skipping its tests.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "vitest";
import { CHROMIUM_PATH } from "./chromium.js";
import { REGISTRY_BIN } from "./registry.js";
const REPO = path.resolve(import.meta.dirname, "../..");

/** CI=true (or any value but "", "0" and "false"), as GitHub Actions and .ci/run set it. */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.CI?.trim().toLowerCase();
  return !!v && v !== "0" && v !== "false";
}

const APT = "sudo apt-get install -y";

const onPath = (cmd: string) => spawnSync(cmd, ["--version"], { stdio: "ignore" }).error === undefined;

interface Component {
  present: () => boolean;
  /** What is missing, then how to get it. */
  missing: string;
  install: string;
}

export const COMPONENTS = {
  "docker-registry": {
    present: () => fs.existsSync(REGISTRY_BIN),
    missing: `${REGISTRY_BIN} not found`,
    install: `${APT} docker-registry`,
  },
  skopeo: {
    present: () => fs.existsSync("/usr/bin/skopeo"),
    missing: "/usr/bin/skopeo not found",
    install: `${APT} skopeo`,
  },
  umoci: {
    present: () => fs.existsSync("/usr/bin/umoci"),
    missing: "/usr/bin/umoci not found",
    install: `${APT} umoci`,
  },
  chromium: {
    present: () => fs.existsSync(CHROMIUM_PATH),
    missing: `${CHROMIUM_PATH} not found`,
    install: `${APT} chromium (or set MLPACK_CHROMIUM to a Chromium binary)`,
  },
  unzip: { present: () => onPath("unzip"), missing: "unzip is not on PATH", install: `${APT} unzip` },
  curl: { present: () => onPath("curl"), missing: "curl is not on PATH", install: `${APT} curl` },
  root: {
    present: () => process.getuid?.() === 0,
    missing: "chroot needs root",
    install: "run the tests as root (sudo .ci/run)",
  },
  dist: {
    present: () => fs.existsSync(path.join(REPO, "dist/cli/main.js")),
    missing: "dist/ is missing",
    install: "npm run build",
  },
} satisfies Record<string, Component>;

export type ComponentName = keyof typeof COMPONENTS;

/** Why these components are not all usable here ("skopeo: … — install: …"), or undefined. */
export function componentsMissing(names: ComponentName[]): string | undefined {
  const gone = names
    .map((n) => COMPONENTS[n] as Component)
    .filter((c) => !c.present())
    .map((c) => `${c.missing} — install: ${c.install}`);
  return gone.length ? gone.join("; ") : undefined;
}

/**
 * Call at a test file's top level with what the suite needs. Returns the reason to skip, or undefined
 * when everything is present. With CI=true a missing component also registers a failing test that
 * names the install command (the suite itself is still skipped: its hooks would only fail obscurely).
 */
export function requireComponents(suite: string, names: ComponentName[]): string | undefined {
  const reason = componentsMissing(names);
  if (!reason) return undefined;
  if (inCi()) {
    describe(suite, () => {
      it("has its system components (CI=true: missing components fail, not skip)", () => {
        throw new Error(`${suite}: ${reason}`);
      });
    });
  } else {
    console.warn(`${suite} skipped: ${reason} (with CI=true this fails instead)`);
  }
  return reason;
}
