/**
 * The hardware a measurement was taken on. Comparing timings across different hardware is advisory
 * only, so the gate needs to know when the machine changed. Parsing is pure; reading /proc and
 * /sys is done by collectFingerprint with injectable readers.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";

export interface Fingerprint {
  /** Short hash of the fields that decide comparability (cpu model, core counts, flags, arch, quota). */
  id: string;
  cpuModel: string;
  logicalCores: number;
  physicalCores: number | null;
  /** What this process may use (affinity, container limits): os.availableParallelism(). */
  availableParallelism: number;
  /** CPU quota of the cgroup in cores (cpu.max), or null when unlimited or unknown. */
  cpuQuota: number | null;
  /** The SIMD/matrix features kernels dispatch on (a subset of /proc/cpuinfo flags). */
  flags: string[];
  arch: string;
  platform: string;
  osRelease: string;
  totalMemoryBytes: number;
}

/** Flags that change which kernels onnxruntime runs (x86 and Arm spellings). */
export const RELEVANT_FLAGS = [
  "sse4_1",
  "sse4_2",
  "avx",
  "f16c",
  "fma",
  "avx2",
  "avx512f",
  "avx512bw",
  "avx512vl",
  "avx512dq",
  "avx512_vnni",
  "avx512_bf16",
  "avx512_fp16",
  "avx_vnni",
  "amx_tile",
  "amx_int8",
  "amx_bf16",
  "asimd",
  "asimddp",
  "i8mm",
  "bf16",
  "sve",
  "sve2",
] as const;

export interface CpuInfo {
  model: string;
  logical: number;
  physical: number | null;
  flags: string[];
}

/** Parses /proc/cpuinfo (x86 "model name"/"flags", Arm "Features"/"CPU part"). */
export function parseCpuinfo(text: string): CpuInfo {
  const blocks = text.split(/\n\s*\n/).filter((b) => b.trim());
  const field = (block: string, name: string) => {
    const m = new RegExp(`^${name}\\s*:\\s*(.*)$`, "mi").exec(block);
    return m ? m[1].trim() : undefined;
  };
  const processors = blocks.filter((b) => field(b, "processor") !== undefined);
  const first = processors[0] ?? blocks[0] ?? "";
  const model =
    field(first, "model name") ?? field(text, "Hardware") ?? field(first, "CPU part") ?? "unknown";
  const flagText = field(first, "flags") ?? field(first, "Features") ?? "";
  const have = new Set(flagText.split(/\s+/).filter(Boolean));
  const cores = new Set<string>();
  for (const b of processors) {
    const phys = field(b, "physical id");
    const core = field(b, "core id");
    if (phys !== undefined && core !== undefined) cores.add(`${phys}/${core}`);
  }
  return {
    model,
    logical: processors.length,
    physical: cores.size > 0 ? cores.size : null,
    flags: RELEVANT_FLAGS.filter((f) => have.has(f)),
  };
}

/** cgroup v2 cpu.max: "max 100000" → null, "200000 100000" → 2. */
export function parseCpuMax(text: string): number | null {
  const [quota, period] = text.trim().split(/\s+/);
  if (!quota || quota === "max" || !period) return null;
  const q = Number(quota) / Number(period);
  return Number.isFinite(q) && q > 0 ? q : null;
}

export function fingerprintId(f: Omit<Fingerprint, "id">): string {
  const stable = [
    f.cpuModel,
    f.logicalCores,
    f.availableParallelism,
    f.cpuQuota,
    f.flags.join(","),
    f.arch,
    f.platform,
  ];
  return createHash("sha256").update(JSON.stringify(stable)).digest("hex").slice(0, 12);
}

export interface FingerprintSources {
  readFile?: (path: string) => string | undefined;
  cpus?: () => { model: string }[];
  availableParallelism?: () => number;
}

const tryRead = (p: string) => {
  try {
    return fs.readFileSync(p, "utf8");
  } catch {
    return undefined;
  }
};

export function collectFingerprint(src: FingerprintSources = {}): Fingerprint {
  const read = src.readFile ?? tryRead;
  const cpus = (src.cpus ?? os.cpus)();
  const info = parseCpuinfo(read("/proc/cpuinfo") ?? "");
  const cpuMax = read("/sys/fs/cgroup/cpu.max");
  const base = {
    cpuModel: info.model !== "unknown" ? info.model : (cpus[0]?.model ?? "unknown"),
    logicalCores: info.logical || cpus.length,
    physicalCores: info.physical,
    availableParallelism: (src.availableParallelism ?? os.availableParallelism)(),
    cpuQuota: cpuMax === undefined ? null : parseCpuMax(cpuMax),
    flags: info.flags,
    arch: process.arch,
    platform: process.platform,
    osRelease: os.release(),
    totalMemoryBytes: os.totalmem(),
  };
  return { id: fingerprintId(base), ...base };
}

/** Human-readable differences in the fields that decide comparability; [] when comparable. */
export function diffFingerprints(a: Fingerprint, b: Fingerprint): string[] {
  const out: string[] = [];
  const cmp = (name: string, x: unknown, y: unknown) => {
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push(`${name}: ${String(x)} → ${String(y)}`);
  };
  cmp("cpu", a.cpuModel, b.cpuModel);
  cmp("logical cores", a.logicalCores, b.logicalCores);
  cmp("available cores", a.availableParallelism, b.availableParallelism);
  cmp("cpu quota", a.cpuQuota, b.cpuQuota);
  const lost = a.flags.filter((f) => !b.flags.includes(f));
  const gained = b.flags.filter((f) => !a.flags.includes(f));
  if (lost.length || gained.length)
    out.push(`cpu flags: ${[...lost.map((f) => `-${f}`), ...gained.map((f) => `+${f}`)].join(" ")}`);
  cmp("arch", a.arch, b.arch);
  cmp("platform", a.platform, b.platform);
  return out;
}

/** "AMD EPYC, 2 cores, avx2 avx512f avx512_vnni" */
export function describeFingerprint(f: Fingerprint): string {
  const cores =
    f.availableParallelism !== f.logicalCores
      ? `${f.availableParallelism}/${f.logicalCores}`
      : `${f.logicalCores}`;
  const simd = f.flags.filter((x) => /avx2|avx512f|vnni|amx|asimddp|i8mm|sve/.test(x));
  return `${f.cpuModel}, ${cores} cores${simd.length ? ", " + simd.join(" ") : ""} (${f.arch})`;
}
