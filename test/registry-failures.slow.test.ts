/**
 * Push against real docker-registry instances when things go wrong: htpasswd auth (401 without or
 * with wrong credentials, success with a Docker config.json), the bearer token flow (a token server
 * and an auth proxy in front of a registry), transient and persistent 5xx mid-upload, and a local
 * blob whose bytes do not match its digest (never pushed).
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pushImage } from "../src/artifacts/oci/push.js";
import { RegistryError } from "../src/artifacts/registry/client.js";
import { DigestMismatchError } from "../src/artifacts/registry/blobs.js";
import { dockerCredentials } from "../src/artifacts/registry/auth.js";
import type { ImageIndex, ImageManifest } from "../src/artifacts/oci/layout.js";
import { tempDir } from "./helpers/tmp.js";
import { requireComponents } from "./helpers/components.js";
import {
  skopeo,
  startRegistry,
  TEST_PASSWORD,
  TEST_USER,
  writeDockerConfig,
  type TestRegistry,
} from "./helpers/registry.js";
import {
  startProxy,
  startTokenServer,
  type RegistryProxy,
  type TokenServer,
} from "./helpers/registry-proxy.js";
import { writeSmallImage } from "./helpers/registry-images.js";

const missing = requireComponents("registry-failures", ["docker-registry", "skopeo", "umoci"]);

const work = tempDir("mlpack-registry-failures-");
const basic = (u: string, p: string) => Buffer.from(`${u}:${p}`).toString("base64");
const fast = { backoffMs: 1 };
let image: string;
let manifest: ImageManifest;

async function digestOf(dir: string): Promise<string> {
  const index = JSON.parse(await fs.promises.readFile(path.join(dir, "index.json"), "utf8")) as ImageIndex;
  return index.manifests[0].digest;
}

describe.skipIf(!!missing)("push failures against a real registry", () => {
  let open: TestRegistry;
  let authed: TestRegistry;

  beforeAll(async () => {
    [open, authed] = await Promise.all([startRegistry(), startRegistry({ auth: true })]);
    image = path.join(work, "image");
    const layout = await writeSmallImage(image, 1);
    manifest = await layout.readJson<ImageManifest>(await digestOf(image));
  });
  afterAll(async () => {
    await open?.stop();
    await authed?.stop();
  });

  describe("basic auth (htpasswd)", () => {
    it("without credentials: a 401 that says how to log in", async () => {
      const noConfig = dockerCredentials({ file: path.join(work, "absent/config.json") });
      const err = await pushImage(image, `${authed.host}/team/app:1`, {
        insecure: true,
        registry: { credentials: noConfig, ...fast },
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RegistryError);
      expect((err as RegistryError).status).toBe(401);
      expect((err as Error).message).toMatch(
        new RegExp(`answered 401 Unauthorized \\(basic auth\\) and there are no credentials for it`),
      );
      expect((err as RegistryError).hint).toContain(`docker login ${authed.host}`);
    });

    it("with a wrong password from config.json: a 401 that blames the stored login", async () => {
      const file = writeDockerConfig(path.join(work, "wrong"), {
        [authed.host]: { auth: basic(TEST_USER, "nope") },
      });
      const err = await pushImage(image, `${authed.host}/team/app:1`, {
        insecure: true,
        registry: { credentials: dockerCredentials({ file }), ...fast },
      }).catch((e: unknown) => e);
      expect((err as RegistryError).status).toBe(401);
      expect((err as Error).message).toContain("to the credentials from the Docker config");
    });

    it("with the login in config.json (auth field, https:// key): pushes; skopeo with --creds agrees", async () => {
      const file = writeDockerConfig(path.join(work, "good"), {
        [`https://${authed.host}`]: { auth: basic(TEST_USER, TEST_PASSWORD) },
      });
      const report = await pushImage(image, `${authed.host}/team/app:1`, {
        insecure: true,
        registry: { credentials: dockerCredentials({ file }) },
      });
      expect(report.uploaded).toBe(manifest.layers.length + 1);
      const info = skopeo([
        "inspect",
        "--tls-verify=false",
        "--creds",
        `${TEST_USER}:${TEST_PASSWORD}`,
        `docker://${authed.host}/team/app:1`,
      ]);
      expect(info.code, info.stderr).toBe(0);
      expect((JSON.parse(info.stdout) as { Digest: string }).Digest).toBe(report.digest);
      expect(skopeo(["inspect", "--tls-verify=false", `docker://${authed.host}/team/app:1`]).code).not.toBe(
        0,
      );
    });
  });

  describe("bearer token flow (WWW-Authenticate: Bearer realm=...)", () => {
    let tokens: TokenServer;
    let gate: RegistryProxy;
    beforeAll(async () => {
      tokens = await startTokenServer({ user: TEST_USER, password: TEST_PASSWORD, service: "mlpack-test" });
      gate = await startProxy(open.host, { bearer: { token: tokens, service: "mlpack-test" } });
    });
    afterAll(async () => {
      await gate?.close();
      await tokens?.close();
    });

    it("gets a token for the push scope with the config.json login and pushes with it", async () => {
      const file = writeDockerConfig(path.join(work, "bearer"), {
        [gate.host]: { username: TEST_USER, password: TEST_PASSWORD },
      });
      const report = await pushImage(image, `${gate.host}/bearer/app:1`, {
        insecure: true,
        registry: { credentials: dockerCredentials({ file }) },
      });
      expect(report.uploaded).toBe(manifest.layers.length + 1);
      expect(tokens.requests.length).toBeGreaterThan(0);
      expect(tokens.requests.every((r) => r.authorized && r.service === "mlpack-test")).toBe(true);
      expect(tokens.requests[0].scopes).toEqual(["repository:bearer/app:pull,push"]);
      // Every request the registry saw carried an issued token.
      const forwarded = gate.seen.filter((r) => r.status !== 401);
      expect(forwarded.length).toBeGreaterThan(manifest.layers.length);
      expect(forwarded.every((r) => tokens.issued.has((r.authorization ?? "").replace(/^Bearer /, "")))).toBe(
        true,
      );
      const info = skopeo(["inspect", "--tls-verify=false", `docker://${open.host}/bearer/app:1`]);
      expect((JSON.parse(info.stdout) as { Digest: string }).Digest).toBe(report.digest);
    });

    it("without a login the token service refuses, and the error says so", async () => {
      const err = await pushImage(image, `${gate.host}/bearer/other:1`, {
        insecure: true,
        registry: {
          credentials: dockerCredentials({ file: path.join(work, "absent/config.json") }),
          ...fast,
        },
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RegistryError);
      expect((err as Error).message).toMatch(
        /the token service http:\/\/127\.0\.0\.1:\d+\/token refused anonymous access \(HTTP 401\)/,
      );
      expect((err as RegistryError).hint).toContain(`docker login ${gate.host}`);
    });
  });

  describe("5xx mid-upload", () => {
    it("retries after a transient 503 on an upload chunk and the push succeeds", async () => {
      let failed = 0;
      const proxy = await startProxy(open.host, {
        intercept: (req) => (req.method === "PATCH" && failed++ === 0 ? 503 : undefined),
      });
      try {
        const logs: string[] = [];
        const report = await pushImage(image, `${proxy.host}/flaky/app:1`, {
          insecure: true,
          monolithicLimit: 64 << 10, // chunked uploads, so the failure lands mid-upload
          chunkSize: 64 << 10,
          concurrency: 1,
          registry: fast,
          logger: { info() {}, debug() {}, error() {}, warn: (m) => logs.push(m) },
        });
        expect(proxy.seen.filter((r) => r.status === 503)).toHaveLength(1);
        // The failed upload was started again from scratch: one POST more than there are blobs.
        expect(proxy.seen.filter((r) => r.method === "POST")).toHaveLength(manifest.layers.length + 2);
        expect(logs.join("\n")).toMatch(/HTTP 503 \(injected failure\); restarting the upload \(1\/4\)/);
        expect(report.uploaded).toBe(manifest.layers.length + 1);
        const info = skopeo(["inspect", "--tls-verify=false", `docker://${open.host}/flaky/app:1`]);
        expect((JSON.parse(info.stdout) as { Digest: string; Layers: string[] }).Layers).toEqual(
          manifest.layers.map((l) => l.digest),
        );
      } finally {
        await proxy.close();
      }
    });

    it("retries a transient 502 on the manifest PUT", async () => {
      let failed = 0;
      const proxy = await startProxy(open.host, {
        intercept: (req) =>
          req.method === "PUT" && req.url?.includes("/manifests/") && failed++ === 0 ? 502 : undefined,
      });
      try {
        const report = await pushImage(image, `${proxy.host}/flaky/app:2`, {
          insecure: true,
          registry: fast,
        });
        expect(failed).toBe(2);
        expect(report.digest).toBe(await digestOf(image));
      } finally {
        await proxy.close();
      }
    });

    it("gives up after the retries with a clear error when the registry keeps failing", async () => {
      const proxy = await startProxy(open.host, {
        intercept: (req) => (req.method === "PUT" ? 500 : undefined),
      });
      try {
        const err = await pushImage(image, `${proxy.host}/down/app:1`, {
          insecure: true,
          registry: { ...fast, retries: 2 },
        }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(RegistryError);
        expect((err as Error).message).toMatch(/upload blob sha256:[0-9a-f]{12} to down\/app: HTTP 500/);
        expect((err as RegistryError).hint).toContain("failed after 2 retries");
        // The first try and 2 retries of at least one upload, each answered 500; nothing was tagged.
        expect(proxy.seen.filter((r) => r.status === 500).length).toBeGreaterThanOrEqual(3);
        expect(skopeo(["inspect", "--tls-verify=false", `docker://${open.host}/down/app:1`]).code).not.toBe(
          0,
        );
      } finally {
        await proxy.close();
      }
    });
  });

  describe("digest checks", () => {
    it("never pushes a blob whose bytes do not match its digest, nor the manifest", async () => {
      const bad = path.join(work, "corrupt");
      const layout = await writeSmallImage(bad, 7);
      const m = await layout.readJson<ImageManifest>(await digestOf(bad));
      const victim = m.layers[1];
      const file = layout.blobPath(victim.digest);
      const bytes = fs.readFileSync(file);
      bytes[bytes.length >> 1] ^= 0xff;
      fs.writeFileSync(file, bytes);
      for (const monolithicLimit of [undefined, 64 << 10]) {
        const err = await pushImage(bad, `${open.host}/corrupt/app:1`, {
          insecure: true,
          monolithicLimit,
          chunkSize: 64 << 10,
          registry: fast,
        }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DigestMismatchError);
        expect((err as Error).message).toContain(`blob ${victim.digest} is corrupt`);
        expect((err as Error).message).toContain("nothing was pushed for it");
        const head = await fetch(`http://${open.host}/v2/corrupt/app/blobs/${victim.digest}`, {
          method: "HEAD",
        });
        expect(head.status).toBe(404);
        const tag = await fetch(`http://${open.host}/v2/corrupt/app/manifests/1`, { method: "HEAD" });
        expect(tag.status).toBe(404);
      }
    });

    it("refuses a registry that reports a different digest for the manifest", async () => {
      // A broken proxy that rewrites Docker-Content-Digest on manifest PUTs.
      const proxy = await startProxy(open.host, {
        rewriteHeaders: (req, headers) => {
          if (req.method === "PUT" && req.url?.includes("/manifests/"))
            headers["docker-content-digest"] = "sha256:" + "0".repeat(64);
        },
      });
      try {
        const err = await pushImage(image, `${proxy.host}/altered/app:1`, {
          insecure: true,
          registry: fast,
        }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(RegistryError);
        expect((err as RegistryError).code).toBe("DIGEST_INVALID");
        expect((err as Error).message).toContain(`but the manifest sent hashes to ${await digestOf(image)}`);
      } finally {
        await proxy.close();
      }
    });
  });
});
