/**
 * Environment settings the Lambda handler reads at init, checked before they reach onnxruntime: a bad
 * MLPACK_INTRA_OP_THREADS ("abc", "-1") made session creation throw and the function fail every init,
 * and "1e9" ended in std::bad_alloc. A bad value is never fatal: the handler logs one line saying
 * what was wrong and which value it uses instead, so the function still serves.
 */

/** More threads than any Lambda size has vCPUs (6 at 10,240 MB) only adds contention. */
export const MAX_INTRA_OP_THREADS = 64;

export interface ThreadsSetting {
  threads: number;
  /** The log line, when the variable was set but not used as given. */
  warning?: string;
}

export function intraOpThreadsSetting(
  env: Record<string, string | undefined>,
  builtIn: number,
  name = "MLPACK_INTRA_OP_THREADS",
): ThreadsSetting {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return { threads: builtIn };
  const shown = JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}...` : raw);
  if (!/^\s*\d+\s*$/.test(raw))
    return {
      threads: builtIn,
      warning: `mlpack: ${name}=${shown} is not a whole number of threads (1-${MAX_INTRA_OP_THREADS}); using ${builtIn}, the value the zip was built with`,
    };
  const n = Number(raw.trim());
  if (n < 1)
    return {
      threads: builtIn,
      warning: `mlpack: ${name}=${shown} must be at least 1; using ${builtIn}, the value the zip was built with`,
    };
  if (n > MAX_INTRA_OP_THREADS)
    return {
      threads: MAX_INTRA_OP_THREADS,
      warning: `mlpack: ${name}=${shown} is more than ${MAX_INTRA_OP_THREADS} threads; using ${MAX_INTRA_OP_THREADS}`,
    };
  return { threads: n };
}

/** The thread count for the session; logs (CloudWatch reads stderr) when the variable was not usable. */
export function intraOpThreadsFromEnv(
  env: Record<string, string | undefined>,
  builtIn: number,
  // eslint-disable-next-line no-console -- CloudWatch Logs is the function's terminal
  log: (line: string) => void = (l) => console.error(l),
): number {
  const s = intraOpThreadsSetting(env, builtIn);
  if (s.warning) log(s.warning);
  return s.threads;
}
