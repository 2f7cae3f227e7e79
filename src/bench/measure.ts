/**
 * One configuration (batch, concurrency): warm-up until stable, then interleaved rounds. With two
 * models the rounds alternate A B | B A | A B ... so drift and order effects hit both equally.
 */
import { median } from "./stats.js";
import type { BlockSpec, Executor } from "./executor.js";
import type { SampleSpec, WarmupInfo, WarmupSpec } from "./types.js";

/** perf_analyzer-style stability: the last `count` window medians agree within `tolerance`. */
export function isStable(windowMedians: readonly number[], tolerance = 0.1, count = 3): boolean {
  if (windowMedians.length < count) return false;
  const last = windowMedians.slice(-count);
  const lo = Math.min(...last);
  const hi = Math.max(...last);
  return lo > 0 && hi / lo - 1 <= tolerance;
}

/** Target block length of auto rounds: short enough that interference rarely hits only one model's block. */
export const ROUND_BLOCK_MS = 10;
/** Rounds always taken in duration mode, however slow the model (the bootstrap needs clusters). */
export const MIN_ROUNDS = 20;

/**
 * Rounds to aim for: explicit, or from the sampling time (one round per ~10 ms of each model's time,
 * 20 to 200), or up to 50 for a fixed number of inferences.
 */
export function planRounds(sample: SampleSpec, rounds?: number): number {
  if (rounds !== undefined) return Math.max(1, Math.floor(rounds));
  if (sample.kind === "iterations") return Math.max(1, Math.min(50, sample.count));
  return Math.min(200, Math.max(20, Math.round(sample.ms / ROUND_BLOCK_MS)));
}

export interface MeasureOptions {
  warmup: WarmupSpec;
  sample: SampleSpec;
  /** Rounds to aim for. */
  rounds: number;
  windowMs: number;
  /** Auto warm-up gives up after this many windows per model (then reports stable: false). */
  maxWindows?: number;
  /** Minimum calls per warm-up window (per worker). */
  windowCalls?: number;
  /** After each sampling round: the share of the sampling done (0..1; warm-up counts as 0). */
  onRound?: (fraction: number) => void;
}

export interface RawMeasurement {
  samplesMs: number[];
  roundSizes: number[];
  roundWallMs: number[];
  warmup: WarmupInfo;
}

async function warmUp(ex: Executor, models: number, o: MeasureOptions): Promise<WarmupInfo[]> {
  const info = Array.from({ length: models }, () => ({
    calls: 0,
    ms: 0,
    windowMedians: [] as number[],
    stable: true,
  }));
  const w = o.warmup;
  if (w.kind !== "auto") {
    for (let m = 0; m < models; m++) {
      if (w.kind === "calls" && w.calls === 0) continue;
      const r = await ex.runPhase(m, w.kind === "calls" ? { calls: w.calls } : { calls: 1, minMs: w.ms });
      info[m].calls = r.latMs.length;
      info[m].ms = r.wallMs;
      info[m].windowMedians.push(median(r.latMs));
    }
    return info;
  }
  const maxWindows = o.maxWindows ?? 30;
  const done = info.map(() => false);
  for (let win = 0; win < maxWindows && done.includes(false); win++) {
    for (let m = 0; m < models; m++) {
      if (done[m]) continue;
      const r = await ex.runPhase(m, { calls: o.windowCalls ?? 5, minMs: o.windowMs });
      info[m].calls += r.latMs.length;
      info[m].ms += r.wallMs;
      info[m].windowMedians.push(median(r.latMs));
      done[m] = isStable(info[m].windowMedians);
    }
  }
  info.forEach((x, m) => (x.stable = done[m]));
  return info;
}

/**
 * The block each model runs per round (per worker): a fixed share of the iterations, or, in duration
 * mode, a fixed time, so concurrent workers finish a block together and throughput is not lost
 * waiting for the slowest one.
 */
export function blockSpec(o: MeasureOptions, rounds: number, concurrency: number): BlockSpec {
  if (o.sample.kind === "iterations")
    return { calls: Math.max(1, Math.round(o.sample.count / (rounds * concurrency))) };
  return { calls: 1, minMs: o.sample.ms / rounds };
}

export async function measureConfig(
  ex: Executor,
  models: number,
  o: MeasureOptions,
): Promise<RawMeasurement[]> {
  const warm = await warmUp(ex, models, o);
  const out: RawMeasurement[] = warm.map((w) => ({
    samplesMs: [],
    roundSizes: [],
    roundWallMs: [],
    warmup: w,
  }));
  const elapsed = new Array<number>(models).fill(0);
  const rounds = o.sample.kind === "iterations" ? Math.min(o.rounds, Math.max(1, o.sample.count)) : o.rounds;
  const block = blockSpec(o, rounds, ex.concurrency);
  // Duration mode stops when every model has had its time, after at least MIN_ROUNDS rounds (a slow
  // model's single call can outlast a block) and at most 4x the planned rounds.
  const spec = o.sample;
  const more = (r: number) =>
    spec.kind === "iterations"
      ? r < rounds
      : r < Math.min(MIN_ROUNDS, rounds) || (r < rounds * 4 && elapsed.some((e) => e < spec.ms));
  for (let r = 0; more(r); r++) {
    const order = Array.from({ length: models }, (_, i) => (r % 2 === 0 ? i : models - 1 - i));
    for (const m of order) {
      const p = await ex.runPhase(m, block);
      out[m].samplesMs.push(...p.latMs);
      out[m].roundSizes.push(p.latMs.length);
      out[m].roundWallMs.push(p.wallMs);
      elapsed[m] += p.wallMs;
    }
    if (o.onRound) {
      const f = spec.kind === "iterations" ? (r + 1) / rounds : Math.min(...elapsed) / spec.ms;
      o.onRound(Math.min(1, f));
    }
  }
  return out;
}
