/**
 * Generates src/ops/support/ort-cpu.json: which (op, version, type tuple) the installed
 * onnxruntime-node can create a CPU session for, plus the highest opset per domain and IR version
 * it loads, and which tensor types onnxruntime-node passes as graph inputs and outputs. Every probe
 * is a one-node model (src/ops/support/probe-model.ts, probe-io.ts).
 *
 * Probes run in child processes (not worker threads): a few malformed-but-valid models trip native
 * assertions that abort the whole process, and a crashed child only costs its one in-flight probe,
 * which is recorded as inconclusive.
 *
 *   npx tsx scripts/probe-ort-support.ts            (PROBED_AT=YYYY-MM-DD to pin the date)
 *   PROBE_WORKERS=1 PROBE_ONLY=Cast npx tsx scripts/probe-ort-support.ts --dry-run
 */
import { fork, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { allSchemas, knownDomains, schemaVersions } from "../src/ops/schema/registry.js";
import type { OpSchema } from "../src/ops/schema/types.js";
import {
  PROBE_TUPLE_LIMIT,
  ortSessionFactory,
  probeMaxIrVersion,
  probeMaxOpset,
  probeOne,
  probeSignature,
  typeBindings,
  type ProbeOutcome,
} from "../src/ops/support/probe.js";
import { probeIoTypes } from "../src/ops/support/probe-io.js";
import {
  opKey,
  serializeTable,
  type OrtOpEntry,
  type OrtSupportTable,
} from "../src/ops/support/ort-table.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const OUTPUT_FILE = join(ROOT, "src/ops/support/ort-cpu.json");
/** Domains probed for max opset besides those with schemas (onnxruntime registers these). */
const EXTRA_DOMAINS = ["com.microsoft"];
const PROBE_TIMEOUT_MS = 30_000;

interface Job {
  id: number;
  domain: string;
  name: string;
  sinceVersion: number;
  params: string[];
  tuple: string[];
}

interface JobResult {
  id: number;
  outcome: ProbeOutcome;
}

export function onnxruntimeVersion(): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve("onnxruntime-node");
  let dir = dirname(main);
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "onnxruntime-node" && pkg.version) return pkg.version;
    } catch {
      // keep walking up
    }
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find onnxruntime-node's package.json");
    dir = up;
  }
}

function signatureOf(domain: string, name: string, sinceVersion: number): OpSchema {
  const versions = schemaVersions(domain, name);
  const schema = versions.find((s) => s.sinceVersion === sinceVersion);
  if (!schema) throw new Error(`no schema ${opKey(domain, name, sinceVersion)}`);
  return probeSignature(schema, versions);
}

/** Child-process side: probe each job it is sent, answer with the outcome. */
async function runWorker(): Promise<void> {
  const ort = await import("onnxruntime-node");
  const createSession = ortSessionFactory(ort);
  process.on("message", (job: Job) => {
    void (async () => {
      const sig = signatureOf(job.domain, job.name, job.sinceVersion);
      const outcome = await probeOne(createSession, sig, job.params, job.tuple);
      process.send?.({ id: job.id, outcome } satisfies JobResult);
    })();
  });
  process.send?.({ ready: true });
}

/** Runs jobs on `workers` child processes; a child that dies or hangs fails only its current job. */
async function runPool(
  jobs: Job[],
  workers: number,
  onProgress: (done: number) => void,
): Promise<ProbeOutcome[]> {
  const results: ProbeOutcome[] = new Array(jobs.length);
  let next = 0;
  let done = 0;
  const self = fileURLToPath(import.meta.url);

  const startWorker = (): Promise<void> =>
    new Promise((resolveWorker) => {
      let child: ChildProcess;
      let current: Job | undefined;
      let timer: NodeJS.Timeout | undefined;
      const finish = (outcome: ProbeOutcome): void => {
        if (!current) return;
        clearTimeout(timer);
        results[current.id] = outcome;
        current = undefined;
        onProgress(++done);
      };
      const dispatch = (): void => {
        if (next >= jobs.length) {
          child.kill();
          return;
        }
        current = jobs[next++];
        timer = setTimeout(() => child.kill("SIGKILL"), PROBE_TIMEOUT_MS);
        child.send(current);
      };
      const spawn = (): void => {
        child = fork(self, ["--worker"], { stdio: ["ignore", "ignore", "pipe", "ipc"] });
        let stderr = "";
        child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
        child.on("message", (m: JobResult | { ready: true }) => {
          if ("ready" in m) return dispatch();
          finish(m.outcome);
          dispatch();
        });
        child.on("exit", (code, signal) => {
          if (current) {
            const why =
              signal === "SIGKILL"
                ? `timed out after ${PROBE_TIMEOUT_MS / 1000} s`
                : `exit ${code ?? signal}`;
            const last = stderr.trim().split("\n").at(-1)?.slice(0, 200) ?? "";
            finish({ status: "inconclusive", reason: `runtime crashed (${why}): ${last}` });
          }
          if (next < jobs.length) spawn();
          else resolveWorker();
        });
      };
      spawn();
    });

  await Promise.all(Array.from({ length: workers }, startWorker));
  return results;
}

function buildJobs(only: RegExp | undefined): {
  jobs: Job[];
  entries: Map<string, { sig: OpSchema; exhaustive: boolean }>;
} {
  const jobs: Job[] = [];
  const entries = new Map<string, { sig: OpSchema; exhaustive: boolean }>();
  for (const schema of allSchemas()) {
    if (only && !only.test(schema.name)) continue;
    const sig = probeSignature(schema, schemaVersions(schema.domain, schema.name));
    const { params, tuples, exhaustive } = typeBindings(sig, PROBE_TUPLE_LIMIT);
    entries.set(opKey(schema.domain, schema.name, schema.sinceVersion), { sig, exhaustive });
    for (const tuple of tuples) {
      jobs.push({
        id: jobs.length,
        domain: schema.domain,
        name: schema.name,
        sinceVersion: schema.sinceVersion,
        params,
        tuple,
      });
    }
  }
  return { jobs, entries };
}

function assembleOps(
  jobs: Job[],
  results: ProbeOutcome[],
  entries: Map<string, { sig: OpSchema; exhaustive: boolean }>,
): Record<string, OrtOpEntry> {
  const ops: Record<string, OrtOpEntry> = {};
  /** Per op version: how often each unsupported label occurred (the commonest explains unsupportedAll). */
  const labels = new Map<string, Map<string, number>>();
  for (const [key, { sig, exhaustive }] of entries) {
    ops[key] = { typeParams: sig.typeConstraints.map((c) => c.param), supported: [] };
    if (!exhaustive) ops[key].exhaustive = false;
  }
  jobs.forEach((job, i) => {
    const key = opKey(job.domain, job.name, job.sinceVersion);
    const e = ops[key];
    const r = results[i];
    if (r.status === "supported") e.supported!.push(job.tuple);
    else if (r.status === "inconclusive")
      (e.inconclusive ??= []).push({ types: job.tuple, reason: r.reason ?? "" });
    else {
      const label = (r.reason ?? "no kernel").split(":")[0];
      const counts = labels.get(key) ?? new Map<string, number>();
      labels.set(key, counts.set(label, (counts.get(label) ?? 0) + 1));
    }
  });
  for (const [key, e] of Object.entries(ops)) {
    if (e.supported!.length === 0 && !e.inconclusive) {
      delete e.supported;
      e.unsupportedAll = true;
      const counts = [...(labels.get(key) ?? new Map<string, number>())];
      e.reason = counts.sort((a, b) => b[1] - a[1])[0]?.[0] ?? "no kernel";
    }
  }
  return ops;
}

async function main(): Promise<void> {
  const started = Date.now();
  const workers = Math.max(1, Number(process.env.PROBE_WORKERS ?? 2));
  const only = process.env.PROBE_ONLY ? new RegExp(`^(?:${process.env.PROBE_ONLY})$`) : undefined;
  const version = onnxruntimeVersion();
  const ort = await import("onnxruntime-node");
  const createSession = ortSessionFactory(ort);

  const maxIrVersion = await probeMaxIrVersion(createSession);
  const maxOpset: Record<string, number> = {};
  for (const domain of [...new Set([...knownDomains(), ...EXTRA_DOMAINS])]) {
    const v = await probeMaxOpset(createSession, domain);
    if (v !== undefined) maxOpset[domain] = v;
  }
  console.log(`onnxruntime-node ${version}: max IR ${maxIrVersion}, max opsets ${JSON.stringify(maxOpset)}`);
  const ioTypes = await probeIoTypes(createSession, maxOpset[""], maxIrVersion);
  console.log(`graph input types: ${ioTypes.input.join(", ")}`);
  console.log(`graph output types: ${ioTypes.output.join(", ")}`);

  const { jobs, entries } = buildJobs(only);
  console.log(`probing ${entries.size} op versions, ${jobs.length} type tuples on ${workers} processes`);
  const step = Math.max(1, Math.floor(jobs.length / 20));
  const results = await runPool(jobs, workers, (done) => {
    if (done % step === 0 || done === jobs.length) {
      console.log(`  ${done}/${jobs.length} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }
  });

  const counts = { supported: 0, unsupported: 0, inconclusive: 0 };
  for (const r of results) counts[r.status]++;
  const ops = assembleOps(jobs, results, entries);
  const inconclusive = jobs.filter((_, i) => results[i].status === "inconclusive");
  const opCounts = { anySupported: 0, unsupportedAll: 0 };
  for (const e of Object.values(ops)) {
    if (e.unsupportedAll) opCounts.unsupportedAll++;
    else if (e.supported?.length) opCounts.anySupported++;
  }
  console.log(
    `tuples: ${counts.supported} supported, ${counts.unsupported} unsupported, ${counts.inconclusive} inconclusive; ` +
      `op versions: ${opCounts.anySupported} with a kernel, ${opCounts.unsupportedAll} without`,
  );
  const labels = new Map<string, number>();
  for (const r of results) {
    if (r.status === "unsupported") {
      const label = (r.reason ?? "").split(":")[0];
      labels.set(label, (labels.get(label) ?? 0) + 1);
    }
  }
  for (const [label, n] of [...labels].sort((a, b) => b[1] - a[1]))
    console.log(`  unsupported, ${label}: ${n}`);
  if (process.env.PROBE_LOG) {
    const log = jobs.map(
      (j, i) =>
        `${opKey(j.domain, j.name, j.sinceVersion)} [${j.tuple.join(", ")}] ${results[i].status} ${results[i].reason ?? ""}`,
    );
    writeFileSync(process.env.PROBE_LOG, log.join("\n") + "\n");
  }
  for (const job of inconclusive) {
    const r = results[job.id];
    console.log(
      `  inconclusive ${opKey(job.domain, job.name, job.sinceVersion)} [${job.tuple.join(", ")}]: ${r.reason}`,
    );
  }

  const table: OrtSupportTable = {
    onnxruntime: version,
    probedAt: process.env.PROBED_AT ?? new Date().toISOString().slice(0, 10),
    maxIrVersion,
    maxOpset,
    ioTypes,
    ops,
  };
  const text = serializeTable(table);
  if (process.argv.includes("--dry-run")) console.log(`dry run: ${text.length} bytes not written`);
  else {
    writeFileSync(OUTPUT_FILE, text);
    console.log(
      `wrote ${OUTPUT_FILE} (${(text.length / 1024).toFixed(0)} KiB) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }
}

if (process.argv.includes("--worker")) {
  await runWorker();
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
