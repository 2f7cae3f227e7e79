/**
 * A real registry for tests: Debian's `docker-registry` (distribution 2.x) on 127.0.0.1 with a free
 * port and a temp storage dir, optionally behind htpasswd basic auth. Stop it in afterAll.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export const REGISTRY_BIN = "/usr/bin/docker-registry";

/**
 * User and bcrypt hash (cost 4) of the password below, made once with Python's crypt module
 * (`crypt.crypt(pw, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))`): the registry's htpasswd
 * backend only accepts bcrypt, and apache2-utils (htpasswd) is not installed here.
 */
export const TEST_USER = "mlpack";
export const TEST_PASSWORD = "mlpack-secret";
const TEST_BCRYPT = "$2b$04$5yonlRf9FWoDs04jh599N.dZTsJ4V6X0YIY7DuprYvA4D5UosKGba";

export interface TestRegistry {
  /** host:port, e.g. 127.0.0.1:40123 */
  host: string;
  port: number;
  storage: string;
  logs(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startRegistry(opts: { auth?: boolean } = {}): Promise<TestRegistry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlpack-registry-"));
  const port = await freePort();
  const storage = path.join(dir, "storage");
  fs.mkdirSync(storage);
  const auth = opts.auth
    ? `auth:\n  htpasswd:\n    realm: mlpack-test\n    path: ${path.join(dir, "htpasswd")}\n`
    : "";
  if (opts.auth) fs.writeFileSync(path.join(dir, "htpasswd"), `${TEST_USER}:${TEST_BCRYPT}\n`);
  const config = path.join(dir, "config.yml");
  fs.writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`,
  );
  let logs = "";
  const child: ChildProcess = spawn(REGISTRY_BIN, ["serve", config], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d: Buffer) => (logs += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (logs += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}):\n${logs}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v2/`);
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not start on port ${port}:\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { host: `127.0.0.1:${port}`, port, storage, logs: () => logs, stop };
}

/** Runs skopeo (never against TLS: the test registries are plain http on loopback). */
export function skopeo(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync("skopeo", args, { encoding: "utf8", timeout: 120_000, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A Docker config dir whose config.json holds these `auths` entries (for DOCKER_CONFIG / file:). */
export function writeDockerConfig(dir: string, auths: Record<string, Record<string, string>>): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "config.json");
  fs.writeFileSync(file, JSON.stringify({ auths }, null, 2));
  return file;
}
