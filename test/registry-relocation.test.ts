/**
 * Credentials stay with their registry. A real docker-registry sits behind a "relocating" proxy
 * that points upload Locations (or redirects blob reads) at a second origin on loopback, as a
 * registry with separate blob storage would, or as a hostile one could. The second origin must never
 * see the login or the registry's token; plain http is refused unless the registry is insecure.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pushImage } from "../src/artifacts/oci/push.js";
import { RegistryClient, RegistryError } from "../src/artifacts/registry/client.js";
import { downloadBlob, uploadBlob } from "../src/artifacts/registry/blobs.js";
import { dockerCredentials } from "../src/artifacts/registry/auth.js";
import type { ImageIndex, ImageManifest } from "../src/artifacts/oci/layout.js";
import { tempDir } from "./helpers/tmp.js";
import { requireComponents } from "./helpers/components.js";
import {
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

const missing = requireComponents("registry-relocation", ["docker-registry"]);

const work = tempDir("mlpack-registry-relocation-");
const fast = { backoffMs: 1, retries: 0 };
let image: string;
let manifest: ImageManifest;

/** Proxy `front` rewrites the registry's upload Locations from its own origin to `to`'s. */
function relocateTo(getFront: () => RegistryProxy, getTo: () => RegistryProxy) {
  return (_req: unknown, headers: Record<string, unknown>) => {
    const loc = headers.location;
    if (typeof loc === "string") headers.location = loc.replace(`//${getFront().host}`, `//${getTo().host}`);
  };
}

describe.skipIf(missing)("credentials stay with the registry the user logged in to", () => {
  let open: TestRegistry;
  let authed: TestRegistry;

  beforeAll(async () => {
    [open, authed] = await Promise.all([startRegistry(), startRegistry({ auth: true })]);
    image = path.join(work, "image");
    const layout = await writeSmallImage(image, 3, 2, 20_000);
    const index = JSON.parse(
      await fs.promises.readFile(path.join(image, "index.json"), "utf8"),
    ) as ImageIndex;
    manifest = await layout.readJson<ImageManifest>(index.manifests[0].digest);
  });
  afterAll(async () => {
    await open?.stop();
    await authed?.stop();
  });

  describe("bearer tokens and an upload Location on another origin", () => {
    let tokens: TokenServer;
    let gate: RegistryProxy;
    let storage: RegistryProxy;
    beforeAll(async () => {
      tokens = await startTokenServer({ user: TEST_USER, password: TEST_PASSWORD, service: "reloc" });
      // The "storage" origin takes uploads without auth (like a signed URL); the gate demands tokens.
      storage = await startProxy(open.host);
      gate = await startProxy(open.host, {
        bearer: { token: tokens, service: "reloc" },
        rewriteHeaders: relocateTo(
          () => gate,
          () => storage,
        ),
        redirect: (req) =>
          req.method === "GET" && /\/blobs\/sha256:/.test(req.url ?? "") && req.headers.authorization
            ? `http://${storage.host}${req.url}`
            : undefined,
      });
    });
    afterAll(async () => {
      await gate?.close();
      await storage?.close();
      await tokens?.close();
    });

    it("pushes, sending the token to the registry and the login to its realm only", async () => {
      const file = writeDockerConfig(path.join(work, "bearer"), {
        [gate.host]: { username: TEST_USER, password: TEST_PASSWORD },
      });
      const report = await pushImage(image, `${gate.host}/reloc/app:1`, {
        insecure: true,
        registry: { credentials: dockerCredentials({ file }), ...fast },
      });
      expect(report.uploaded).toBe(manifest.layers.length + 1);
      expect(tokens.requests.every((r) => r.authorized)).toBe(true);
      const uploads = storage.seen.filter((r) => r.method === "PUT" || r.method === "PATCH");
      expect(uploads.length).toBe(manifest.layers.length + 1);
      expect(storage.seen.map((r) => r.authorization).filter(Boolean)).toEqual([]);
    });

    it("follows a blob redirect to another origin without the Authorization header", async () => {
      const file = writeDockerConfig(path.join(work, "bearer2"), {
        [gate.host]: { username: TEST_USER, password: TEST_PASSWORD },
      });
      const client = new RegistryClient(gate.host, {
        insecure: true,
        credentials: dockerCredentials({ file }),
        ...fast,
      });
      const before = storage.seen.length;
      const layer = manifest.layers[0];
      const size = await downloadBlob(client, "reloc/app", layer.digest, path.join(work, "layer.bin"));
      expect(size).toBe(layer.size);
      const gets = storage.seen.slice(before);
      expect(gets.map((r) => r.method)).toEqual(["GET"]);
      expect(gets[0].authorization).toBeUndefined();
    });
  });

  it("basic auth: a Location on another origin gets no login, and its 401 is an error", async () => {
    const thief = await startProxy(authed.host);
    const gate: RegistryProxy = await startProxy(authed.host, {
      rewriteHeaders: relocateTo(
        () => gate,
        () => thief,
      ),
    });
    try {
      const file = writeDockerConfig(path.join(work, "basic"), {
        [gate.host]: { username: TEST_USER, password: TEST_PASSWORD },
      });
      const err = await pushImage(image, `${gate.host}/reloc/basic:1`, {
        insecure: true,
        registry: { credentials: dockerCredentials({ file }), ...fast },
      }).catch((e: unknown) => e);
      expect(thief.seen.length).toBeGreaterThan(0);
      expect(thief.seen.map((r) => r.authorization).filter(Boolean)).toEqual([]);
      expect(err).toBeInstanceOf(RegistryError);
      expect((err as Error).message).toContain(
        `answered 401 Unauthorized; mlpack sends the login for ${gate.host} only to http://${gate.host}`,
      );
    } finally {
      await gate.close();
      await thief.close();
    }
  });
});

describe("plain http is refused unless the registry is insecure", () => {
  const byte = Buffer.alloc(1);
  const blob = { digest: "sha256:" + crypto.createHash("sha256").update(byte).digest("hex"), size: 1 };
  /** A fake https registry whose upload Location (or 307) points at a plain-http origin. */
  function fakeRegistry(kind: "location" | "redirect" | "realm") {
    const calls: { url: string; authorization?: string }[] = [];
    const fetchImpl = (async (input: URL | string, init?: RequestInit) => {
      const url = String(input);
      const headers = (init?.headers ?? {}) as Record<string, string>;
      calls.push({ url, authorization: headers.authorization });
      if (kind === "realm")
        return new Response("{}", {
          status: 401,
          headers: { "www-authenticate": 'Bearer realm="http://auth.example/token",service="s"' },
        });
      if (init?.method === "HEAD") return new Response(null, { status: 404 });
      if (kind === "redirect")
        return new Response(null, { status: 307, headers: { location: "http://plain.example/up" } });
      return new Response(null, { status: 202, headers: { location: "http://plain.example/up" } });
    }) as typeof fetch;
    const client = new RegistryClient("reg.example", {
      fetch: fetchImpl,
      credentials: async () => ({ username: "u", password: "p" }),
      ...fast,
    });
    return { client, calls };
  }

  for (const kind of ["location", "redirect", "realm"] as const) {
    it(`${kind}: never sent, with a hint about --insecure`, async () => {
      const { client, calls } = fakeRegistry(kind);
      const err = await uploadBlob(client, "x", blob, async () => byte).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RegistryError);
      expect((err as Error).message).toMatch(
        /pointed mlpack at http:\/\/[a-z.]+, which is not https; refused/,
      );
      expect((err as RegistryError).hint).toContain("--insecure");
      expect(calls.every((c) => c.url.startsWith("https://reg.example/"))).toBe(true);
    });
  }
});
