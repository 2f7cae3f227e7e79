/**
 * The Docker-daemon path: the build context goes to the daemon's /build through dockerode (which
 * honours DOCKER_HOST), progress is streamed line by line, and --push pushes through the daemon.
 */
import fs from "node:fs";
import { Readable } from "node:stream";
import { UserError } from "../../errors.js";
import { silentLogger, type Logger } from "../../log.js";
import { listFiles } from "./app-files.js";
import { formatPlatform } from "./image-config.js";
import { tarChunks, type TarEntry } from "./tar.js";
import type { Platform } from "./layout.js";
import { dockerCredentials } from "../registry/auth.js";
import { parseReference } from "../registry/reference.js";

/** The part of dockerode this module uses (tests pass a dockerode pointed at a fake socket). */
export interface DockerLike {
  ping(): Promise<unknown>;
  buildImage(context: NodeJS.ReadableStream, opts: Record<string, unknown>): Promise<NodeJS.ReadableStream>;
  getImage(name: string): {
    push(opts: Record<string, unknown>): Promise<NodeJS.ReadableStream>;
    inspect(): Promise<{ Id: string }>;
  };
  modem: {
    followProgress(
      s: NodeJS.ReadableStream,
      done: (err: Error | null, out: unknown[]) => void,
      each?: (e: ProgressEvent) => void,
    ): void;
  };
}

export interface DaemonDeps {
  docker?: DockerLike;
  env?: NodeJS.ProcessEnv;
}

interface ProgressEvent {
  stream?: string;
  status?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/** dockerode options for DOCKER_HOST (unix:// or tcp://), else the default socket. */
export function dockerOptions(
  env: NodeJS.ProcessEnv,
): { socketPath: string } | { host: string; port: number; protocol: "http" } {
  const host = env.DOCKER_HOST;
  if (!host) return { socketPath: "/var/run/docker.sock" };
  if (host.startsWith("unix://")) return { socketPath: host.slice("unix://".length) };
  const m = /^(?:tcp|http):\/\/([^:/]+)(?::(\d+))?\/?$/.exec(host);
  if (!m)
    throw new UserError(`DOCKER_HOST=${host} is not a unix:// or tcp:// address`, {
      hint: "set DOCKER_HOST=unix:///var/run/docker.sock or tcp://HOST:2375 (TLS daemons: use the daemonless builder)",
    });
  return { host: m[1], port: Number(m[2] ?? 2375), protocol: "http" };
}

async function connect(deps: DaemonDeps = {}): Promise<DockerLike> {
  if (deps.docker) return deps.docker;
  const { default: Docker } = await import("dockerode");
  return new Docker(dockerOptions(deps.env ?? process.env)) as unknown as DockerLike;
}

/** A daemon counts as present when DOCKER_HOST or /var/run/docker.sock exists and it answers a ping. */
export async function daemonAvailable(deps: DaemonDeps = {}): Promise<boolean> {
  const env = deps.env ?? process.env;
  if (!deps.docker && !env.DOCKER_HOST && !fs.existsSync("/var/run/docker.sock")) return false;
  try {
    const docker = await connect(deps);
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 3000).unref()),
    ]);
    return true;
  } catch {
    return false;
  }
}

function contextEntries(dir: string): TarEntry[] {
  const entries: TarEntry[] = [];
  const dirs = new Set<string>();
  for (const f of listFiles(dir)) {
    const parts = f.rel.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
    entries.push({
      path: f.rel,
      type: "file",
      mode: f.mode,
      size: fs.statSync(f.abs).size,
      source: { file: f.abs },
    });
  }
  for (const d of dirs) entries.push({ path: d, type: "dir", mode: 0o755 });
  return entries;
}

function follow(docker: DockerLike, stream: NodeJS.ReadableStream, logger: Logger): Promise<ProgressEvent[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err, out) => {
        const events = (out ?? []) as ProgressEvent[];
        const failed = events.find((e) => e.error || e.errorDetail);
        if (err || failed)
          reject(
            new UserError(`docker: ${failed?.errorDetail?.message ?? failed?.error ?? err?.message}`, {
              hint: "read the build output above; the context is in the output directory",
            }),
          );
        else resolve(events);
      },
      (e) => {
        const line = (
          e.stream ?? (e.status ? `${e.status}${e.progress ? " " + e.progress : ""}` : "")
        ).trimEnd();
        if (line) logger.info(line);
      },
    );
  });
}

export async function buildWithDaemon(opts: {
  context: string;
  dockerfile: string;
  platforms: Platform[];
  tag?: string;
  push?: boolean;
  logger?: Logger;
  deps?: DaemonDeps;
}): Promise<{ id: string }> {
  const logger = opts.logger ?? silentLogger;
  if (opts.platforms.length > 1)
    throw new UserError("the Docker daemon builds one platform at a time here", {
      hint: "use the daemonless builder (--builder oci) for several platforms",
    });
  const docker = await connect(opts.deps);
  const arch = opts.platforms[0].architecture;
  const stream = await docker.buildImage(Readable.from(tarChunks(contextEntries(opts.context))), {
    t: opts.tag,
    platform: formatPlatform(opts.platforms[0]),
    buildargs: JSON.stringify({ TARGETARCH: arch }),
    rm: true,
  });
  const events = await follow(docker, stream, logger);
  const id =
    events
      .map((e) => e.aux?.ID)
      .filter(Boolean)
      .pop() ?? (opts.tag ? (await docker.getImage(opts.tag).inspect()).Id : "");
  if (opts.push && opts.tag) {
    const ref = parseReference(opts.tag);
    const creds = await dockerCredentials()(ref.registry);
    const authconfig = creds
      ? { username: creds.username, password: creds.password, serveraddress: ref.registry }
      : {};
    await follow(docker, await docker.getImage(opts.tag).push({ authconfig }), logger);
  }
  return { id };
}
