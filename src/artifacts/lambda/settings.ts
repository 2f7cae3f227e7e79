/** Lambda settings from the config, with defaults, checks and the limits the zip is measured against. */
import { UserError } from "../../errors.js";
import type { ServerConfig } from "../../config/types.js";
import type { LambdaTargetConfig } from "../../build/targets/lambda/config.js";
import { LAMBDA_SERVER_KEYS, SERVER_CONFIG_KEYS, serverConfigProblems } from "../../serve/option-schema.js";

export type LambdaRuntime = NonNullable<LambdaTargetConfig["runtime"]>;

export interface LambdaSettings {
  arch: "x86_64" | "arm64";
  memory: number;
  runtime: LambdaRuntime;
  intraOpThreads: number;
  /** Where intraOpThreads came from, for the handler's comment and the build report. */
  threadsNote: string;
}

/** Lambda's direct-upload limit for a zip (50 MB); bigger zips go through S3. */
export const MAX_DIRECT_UPLOAD_BYTES = 50 * 1024 * 1024;
/** Lambda's limit on the unzipped function and its layers: 250 MB, i.e. 262,144,000 bytes. */
export const MAX_UNZIPPED_BYTES = 262_144_000;
/** Lambda gives a function one full vCPU's worth of time at 1,769 MB, in proportion to memory. */
export const MB_PER_VCPU = 1769;
/** The most vCPUs a function gets (at 10,240 MB). */
const MAX_VCPUS = 6;

const RUNTIMES: readonly LambdaRuntime[] = ["nodejs20.x", "nodejs22.x", "provided.al2023"];

/**
 * Threads for one session. Below one vCPU a second thread only adds context switches; above, the
 * share is rounded (3,008 MB is 1.7 vCPUs and shows 2 cores, so 2 threads use it).
 */
export function intraOpThreadsForMemory(memoryMb: number): number {
  return Math.min(MAX_VCPUS, Math.max(1, Math.round(memoryMb / MB_PER_VCPU)));
}

export function resolveLambdaSettings(
  lambda: LambdaTargetConfig = {},
  server: ServerConfig = {},
): LambdaSettings {
  const arch = lambda.arch ?? "x86_64";
  if (arch !== "x86_64" && arch !== "arm64")
    throw new UserError(`lambda arch "${String(arch)}" is not x86_64 or arm64`, {
      hint: "use --arch x86_64 or --arch arm64",
    });
  const memory = lambda.memory ?? 1024;
  if (!Number.isInteger(memory) || memory < 128 || memory > 10240)
    throw new UserError(`lambda memory ${memory} MB is outside Lambda's 128-10240 MB`, {
      hint: "give a whole number of MB between 128 and 10240",
    });
  const runtime = lambda.runtime ?? "nodejs20.x";
  if (!RUNTIMES.includes(runtime))
    throw new UserError(`lambda runtime "${String(runtime)}" is not supported`, {
      hint: `use one of ${RUNTIMES.join(", ")}`,
    });
  const vcpu = (memory / MB_PER_VCPU).toFixed(2);
  let intraOpThreads: number;
  let threadsNote: string;
  if (server.intraOpThreads !== undefined) {
    const problems = serverConfigProblems({ intraOpThreads: server.intraOpThreads });
    if (problems.length > 0)
      throw new UserError(problems[0], { hint: "fix the server section of mlpack.yaml" });
    intraOpThreads = server.intraOpThreads;
    threadsNote = `${intraOpThreads} intra-op thread(s) from server.intraOpThreads (${memory} MB is ${vcpu} vCPU)`;
  } else {
    intraOpThreads = intraOpThreadsForMemory(memory);
    threadsNote = `${intraOpThreads} intra-op thread(s): ${memory} MB of memory is ${vcpu} vCPU on Lambda`;
  }
  return { arch, memory, runtime, intraOpThreads, threadsNote };
}

/** Server settings that mean nothing on Lambda (one request at a time per instance, no port). */
export function ignoredServerSettings(server: ServerConfig = {}): string[] {
  // Lambda sets the body limit (6 MB), the timeouts and the shutdown; there is no queue in front of
  // the handler, and it logs to CloudWatch as it is.
  return SERVER_CONFIG_KEYS.filter((k) => !LAMBDA_SERVER_KEYS.includes(k) && server[k] !== undefined);
}
