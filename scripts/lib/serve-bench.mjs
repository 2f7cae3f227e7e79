// Shared by the serve benchmarks (bench-serve.mjs, bench-serve-goals.mjs): flags, starting a server
// and waiting for its URL, driving load from a worker thread, medians and p99.
import { Worker } from "node:worker_threads";

/** `--name value` flags: opt("rounds", 3) gives the value after --rounds, or the default. */
export function flags(args = process.argv.slice(2)) {
  return (name, def) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : def;
  };
}

/** Resolves with { child, url } once a spawned `mlpack serve` (or look-alike) prints its URL. */
export function listening(child) {
  return new Promise((resolve, reject) => {
    let out = "";
    let url;
    child.stdout.on("data", (d) => {
      // After start-up, stdout is the access log: read and drop it.
      if (url) return;
      out += d;
      const m = /listening on (http:\/\/[^\s"]+)/.exec(out);
      if (m) resolve({ child, url: (url = m[1]) });
    });
    child.on("exit", (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
}

/** Runs src/serve/load-generator.ts's runLoad in a worker thread (so the client has its own core). */
export function loadInWorker(options) {
  const w = new Worker(new URL("./load-worker.mjs", import.meta.url), { workerData: options });
  return new Promise((resolve, reject) => {
    w.once("message", resolve);
    w.once("error", reject);
  });
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function p99(xs) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))];
}
