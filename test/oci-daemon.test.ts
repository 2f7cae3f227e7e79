/**
 * The Docker-daemon path through dockerode. It runs only where a daemon answers (DOCKER_HOST or
 * /var/run/docker.sock); elsewhere it is skipped and says why. The context it sends is the one
 * oci-context.test.ts checks COPY by COPY.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildImage } from "../src/artifacts/oci/build.js";
import { daemonAvailable, dockerOptions } from "../src/artifacts/oci/daemon.js";
import { tempDir } from "./helpers/tmp.js";
import { REPO } from "./helpers/cli.js";
import { writeMlp } from "./helpers/registry-images.js";

const socket =
  process.env.DOCKER_HOST ?? (fs.existsSync("/var/run/docker.sock") ? "/var/run/docker.sock" : undefined);
const present = await daemonAvailable();
const reason = !socket
  ? "no Docker daemon: DOCKER_HOST is unset and /var/run/docker.sock does not exist"
  : !present
    ? `no Docker daemon answered a ping at ${socket}`
    : !fs.existsSync(path.join(REPO, "dist/cli/main.js"))
      ? "dist/ is missing: run `npm run build`"
      : undefined;
if (reason) console.warn(`oci-daemon skipped: ${reason}`);

describe("docker daemon builder", () => {
  it("finds no daemon where DOCKER_HOST points at nothing, and reads DOCKER_HOST forms", async () => {
    const dir = tempDir("mlpack-oci-nodaemon-");
    const t0 = performance.now();
    expect(await daemonAvailable({ env: { DOCKER_HOST: `unix://${path.join(dir, "absent.sock")}` } })).toBe(
      false,
    );
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(dockerOptions({ DOCKER_HOST: "tcp://10.0.0.5:2376" })).toEqual({
      host: "10.0.0.5",
      port: 2376,
      protocol: "http",
    });
    expect(dockerOptions({ DOCKER_HOST: "unix:///run/user/1000/docker.sock" })).toEqual({
      socketPath: "/run/user/1000/docker.sock",
    });
    expect(dockerOptions({})).toEqual({ socketPath: "/var/run/docker.sock" });
    expect(() => dockerOptions({ DOCKER_HOST: "ssh://me@host" })).toThrow(
      /is not a unix:\/\/ or tcp:\/\/ address/,
    );
  });

  it.skipIf(reason)(
    "builds the context with docker build (dockerode), streaming progress",
    async () => {
      const dir = tempDir("mlpack-oci-daemon-");
      const model = await writeMlp(path.join(dir, "model.onnx"), 1);
      const lines: string[] = [];
      const tag = `mlpack-test/mlp:${process.pid}`;
      const built = await buildImage({
        model,
        name: "mlp",
        out: path.join(dir, "out"),
        tag,
        builder: "daemon",
        logger: { info: (m) => lines.push(m), warn: (m) => lines.push(m), error() {}, debug() {} },
      });
      expect(built.builder).toBe("daemon");
      expect(built.output).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(lines.some((l) => /COPY models\//.test(l))).toBe(true);
      const { default: Docker } = await import("dockerode");
      const docker = new Docker();
      const info = await docker.getImage(tag).inspect();
      expect(info.Config.Entrypoint).toEqual([
        "node",
        "/app/bin/mlpack.js",
        "serve",
        "--config",
        "/models/mlpack-serve.json",
      ]);
      expect(info.Config.Labels["dev.mlpack.model.name"]).toBe("mlp");
      await docker.getImage(tag).remove({ force: true });
    },
    600_000,
  );
});
