/** Image references, WWW-Authenticate challenges and Docker config.json credential lookup. */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseReference, formatReference, registryHost } from "../src/artifacts/registry/reference.js";
import { dockerCredentials, parseChallenges } from "../src/artifacts/registry/auth.js";
import { renderServeConfig } from "../src/artifacts/oci/serve-config.js";
import { configToRawOptions } from "../src/serve/config-file.js";
import { resolveServeOptions } from "../src/serve/options.js";
import { UserError } from "../src/errors.js";
import { tempDir } from "./helpers/tmp.js";
import { writeDockerConfig } from "./helpers/registry.js";

const dir = tempDir("mlpack-registry-auth-");

describe("image references", () => {
  it("fills in Docker Hub's defaults and keeps ports, tags and digests", () => {
    expect(parseReference("node:20")).toEqual({
      registry: "docker.io",
      repository: "library/node",
      tag: "20",
      digest: undefined,
    });
    expect(parseReference("127.0.0.1:5000/team/model")).toMatchObject({
      registry: "127.0.0.1:5000",
      repository: "team/model",
      tag: "latest",
    });
    const d = "sha256:" + "a".repeat(64);
    expect(parseReference(`localhost/x@${d}`)).toMatchObject({
      registry: "localhost",
      repository: "x",
      tag: undefined,
      digest: d,
    });
    expect(parseReference("docker://ghcr.io/o/r:v1.2")).toMatchObject({
      registry: "ghcr.io",
      repository: "o/r",
      tag: "v1.2",
    });
    expect(formatReference(parseReference("busybox"))).toBe("docker.io/library/busybox:latest");
    expect(registryHost(parseReference("busybox"))).toBe("registry-1.docker.io");
  });

  it("rejects what a registry would reject, with a hint", () => {
    for (const bad of ["Team/Model:1", "reg.io/:tag", "reg.io/x@sha256:123", "x:bad tag"]) {
      const e = (() => {
        try {
          parseReference(bad);
        } catch (err) {
          return err;
        }
      })();
      expect(e, bad).toBeInstanceOf(UserError);
      expect((e as Error).message).toContain(`invalid image reference "${bad}"`);
    }
  });
});

describe("WWW-Authenticate", () => {
  it("parses bearer and basic challenges with quoted commas", () => {
    expect(
      parseChallenges(
        'Bearer realm="https://auth.io/token",service="reg.io",scope="repository:a/b:pull,push"',
      ),
    ).toEqual([
      {
        scheme: "bearer",
        params: { realm: "https://auth.io/token", service: "reg.io", scope: "repository:a/b:pull,push" },
      },
    ]);
    expect(parseChallenges('Basic realm="x", Bearer realm="y"')).toEqual([
      { scheme: "basic", params: { realm: "x" } },
      { scheme: "bearer", params: { realm: "y" } },
    ]);
    expect(parseChallenges(null)).toEqual([]);
  });
});

describe("Docker config.json", () => {
  it("reads auth, username/password and identity tokens under any key spelling", async () => {
    const file = writeDockerConfig(path.join(dir, "a"), {
      "https://reg.example.com/v1/": { auth: Buffer.from("ann:pa:ss").toString("base64") },
      "other.example.com": { username: "bob", password: "pw" },
      "https://index.docker.io/v1/": { identitytoken: "refresh-me" },
    });
    const creds = dockerCredentials({ file });
    expect(await creds("reg.example.com")).toEqual({ username: "ann", password: "pa:ss" });
    expect(await creds("other.example.com")).toEqual({ username: "bob", password: "pw" });
    expect(await creds("registry-1.docker.io")).toEqual({ identityToken: "refresh-me", username: undefined });
    expect(await creds("nobody.example.com")).toBeUndefined();
    expect(await dockerCredentials({ file: path.join(dir, "missing.json") })("x")).toBeUndefined();
  });

  it("asks a credential helper program (credHelpers) and reports a broken config clearly", async () => {
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    const helper = path.join(bin, "docker-credential-mlpacktest");
    fs.writeFileSync(
      helper,
      '#!/bin/sh\nread host\necho "{\\"Username\\":\\"helped\\",\\"Secret\\":\\"s3cret-$host\\"}"\n',
    );
    fs.chmodSync(helper, 0o755);
    const cfgDir = path.join(dir, "h");
    fs.mkdirSync(cfgDir);
    const file = path.join(cfgDir, "config.json");
    fs.writeFileSync(file, JSON.stringify({ credHelpers: { "helped.example.com": "mlpacktest" } }));
    const oldPath = process.env.PATH;
    process.env.PATH = `${bin}:${oldPath}`;
    try {
      expect(await dockerCredentials({ file })("helped.example.com")).toEqual({
        username: "helped",
        password: "s3cret-helped.example.com",
      });
    } finally {
      process.env.PATH = oldPath;
    }
    fs.writeFileSync(file, "{ not json");
    await expect(dockerCredentials({ file })("x")).rejects.toThrow(
      /cannot read the Docker config .*config\.json/,
    );
  });
});

describe("credential helpers that are not installed", () => {
  it("say which helper is missing instead of claiming there is no login", async () => {
    const cfgDir = path.join(dir, "store");
    fs.mkdirSync(cfgDir, { recursive: true });
    const file = path.join(cfgDir, "config.json");
    fs.writeFileSync(file, JSON.stringify({ credsStore: "mlpack-no-such-helper" }));
    const err = await dockerCredentials({ file })("reg.example.com").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(
      `the Docker credential helper docker-credential-mlpack-no-such-helper (the credsStore in ${file}) is not installed`,
    );
    expect((err as UserError).hint).toContain("install docker-credential-mlpack-no-such-helper");
    fs.writeFileSync(file, JSON.stringify({ credHelpers: { "reg.example.com": "mlpack-gone" } }));
    await expect(dockerCredentials({ file })("reg.example.com")).rejects.toThrow(
      /docker-credential-mlpack-gone \(the credHelpers entry for reg\.example\.com in .*\) is not installed/,
    );
  });
});

describe("serve config in the image", () => {
  it("is the server defaults plus the model, with sorted keys", () => {
    const text = renderServeConfig({
      name: "m",
      version: "2",
      modelPath: "/models/m.onnx",
      server: { cacheSize: 64, intraOpThreads: 2 },
    });
    expect(text).toBe(
      JSON.stringify(
        {
          serve: {
            cacheSize: 64,
            host: "0.0.0.0",
            intraOpThreads: 2,
            model: [{ name: "m", path: "/models/m.onnx", version: "2" }],
            port: 8080,
          },
        },
        null,
        2,
      ) + "\n",
    );
    expect(() =>
      renderServeConfig({ name: "m", version: "1", modelPath: "/m", server: { port: 70000 } }),
    ).toThrow(/server\.port: 70000 is out of range \[0, 65535\]/);
  });

  it("carries back-pressure, body-size and shutdown settings that `mlpack serve` itself accepts", () => {
    const text = renderServeConfig({
      name: "m",
      version: "1",
      modelPath: "/models/m.onnx",
      server: { maxQueue: 64, maxBody: "2mb", shutdownTimeoutMs: 5000 },
    });
    const source = {
      kind: "file" as const,
      file: "/models/mlpack-serve.json",
      values: configToRawOptions(JSON.parse(text), "/models/mlpack-serve.json"),
    };
    const { options } = resolveServeOptions([source], { cpuCount: 2 });
    expect(options).toMatchObject({
      maxQueue: 64,
      maxBody: 2 * 1024 * 1024,
      shutdownTimeoutMs: 5000,
      host: "0.0.0.0",
    });
    expect(() =>
      renderServeConfig({ name: "m", version: "1", modelPath: "/m", server: { maxBody: "lots" } }),
    ).toThrow(/server\.maxBody: expected a size such as 512kb or 16mb, got "lots"/);
    expect(() =>
      renderServeConfig({ name: "m", version: "1", modelPath: "/m", server: { maxQueue: 0 } }),
    ).toThrow(/server\.maxQueue: 0 is out of range \[1, 1000000\]/);
  });
});
