/**
 * Registry credentials from the Docker config (`$DOCKER_CONFIG/config.json` or ~/.docker/config.json:
 * `auths` entries, `credHelpers` and `credsStore`), and WWW-Authenticate challenge parsing.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { UserError } from "../../errors.js";

export interface Credentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (`docker login` with an identity provider). */
  identityToken?: string;
  /** A bearer token to send as is. */
  registryToken?: string;
}

export type CredentialLookup = (registry: string) => Promise<Credentials | undefined>;

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** `Bearer realm="https://auth",service="reg",scope="repository:a:pull"` → [{scheme, params}]. */
export function parseChallenges(header: string | null): Challenge[] {
  if (!header) return [];
  const out: Challenge[] = [];
  let rest = header;
  const param = /^\s*([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/;
  while ((rest = rest.replace(/^[\s,]+/, ""))) {
    const scheme = /^([\w-]+)/.exec(rest);
    if (!scheme) break;
    rest = rest.slice(scheme[0].length);
    const params: Record<string, string> = {};
    let m: RegExpExecArray | null;
    while ((m = param.exec(rest))) {
      params[m[1].toLowerCase()] = (m[2] ?? m[3] ?? "").replace(/\\(.)/g, "$1");
      rest = rest.slice(m[0].length);
    }
    out.push({ scheme: scheme[1].toLowerCase(), params });
  }
  return out;
}

interface DockerConfig {
  auths?: Record<
    string,
    { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string }
  >;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** Keys in `auths` are written many ways: "host", "https://host", "https://host/v1/". */
function normalizeKey(key: string): string {
  return key
    .replace(/^[a-z]+:\/\//, "")
    .replace(/\/.*$/, "")
    .toLowerCase();
}

function aliases(registry: string): string[] {
  const r = registry.toLowerCase();
  if (r === "docker.io" || r === "registry-1.docker.io" || r === "index.docker.io")
    return ["docker.io", "index.docker.io", "registry-1.docker.io"];
  return [r];
}

export type RunHelper = (helper: string, registry: string) => Promise<string>;

const runHelper: RunHelper = (helper, registry) =>
  new Promise((resolve, reject) => {
    const child = execFile(`docker-credential-${helper}`, ["get"], { timeout: 20_000 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
    child.stdin?.end(registry);
  });

export function dockerConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.DOCKER_CONFIG || path.join(os.homedir(), ".docker"), "config.json");
}

/** Looks credentials up in the Docker config file; a missing file means anonymous access. */
export function dockerCredentials(
  opts: { file?: string; env?: NodeJS.ProcessEnv; helper?: RunHelper } = {},
): CredentialLookup {
  const file = opts.file ?? dockerConfigFile(opts.env);
  const helper = opts.helper ?? runHelper;
  let config: DockerConfig | undefined;
  return async (registry) => {
    if (!config) {
      try {
        config = JSON.parse(await fs.promises.readFile(file, "utf8")) as DockerConfig;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") config = {};
        else
          throw new UserError(`cannot read the Docker config ${file}: ${(e as Error).message}`, {
            hint: "fix the JSON, or point DOCKER_CONFIG at a directory with a valid config.json",
          });
      }
    }
    const names = aliases(registry);
    const perRegistry = Object.entries(config.credHelpers ?? {}).find(([k]) =>
      names.includes(normalizeKey(k)),
    )?.[1];
    const helperName = perRegistry ?? config.credsStore;
    const entry = Object.entries(config.auths ?? {}).find(([k]) => names.includes(normalizeKey(k)))?.[1];
    if (entry) {
      if (entry.registrytoken) return { registryToken: entry.registrytoken };
      if (entry.identitytoken) return { identityToken: entry.identitytoken, username: entry.username };
      if (entry.username || entry.password) return { username: entry.username, password: entry.password };
      if (entry.auth) {
        const plain = Buffer.from(entry.auth, "base64").toString("utf8");
        const colon = plain.indexOf(":");
        return { username: plain.slice(0, colon), password: plain.slice(colon + 1) };
      }
    }
    if (!helperName) return undefined;
    const key = registry === "docker.io" ? "https://index.docker.io/v1/" : registry;
    let stdout: string;
    try {
      stdout = await helper(helperName, key);
    } catch (e) {
      // A helper that is not installed is a broken setup, not "no login": say which and where.
      if ((e as NodeJS.ErrnoException).code === "ENOENT") {
        const field = perRegistry ? `credHelpers entry for ${registry}` : "credsStore";
        throw new UserError(
          `the Docker credential helper docker-credential-${helperName} (the ${field} in ${file}) is not installed`,
          {
            hint: `install docker-credential-${helperName} on the PATH, or remove the ${field} from ${file} (then \`docker login ${registry}\` stores the login in the file)`,
          },
        );
      }
      return undefined; // the helper ran and has nothing for this registry
    }
    try {
      const out = JSON.parse(stdout) as { Username?: string; Secret?: string };
      if (out.Username === "<token>") return { identityToken: out.Secret };
      return { username: out.Username, password: out.Secret };
    } catch {
      return undefined;
    }
  };
}

export function basicHeader(c: Credentials): string {
  return "Basic " + Buffer.from(`${c.username ?? ""}:${c.password ?? ""}`).toString("base64");
}
