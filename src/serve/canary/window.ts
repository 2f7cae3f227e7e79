/**
 * A sliding window of one version's inference requests: counts, 5xx errors and a latency histogram
 * with the buckets of mlpack_request_duration_seconds, in one-second slots. The p99 is estimated from
 * the buckets as Prometheus's histogram_quantile does, so the in-process rule reads the same figures
 * as the AnalysisTemplate's PromQL over the same window.
 */
import type { WindowStats } from "../../rollout/rule.js";
import { LATENCY_BUCKETS } from "../metrics.js";

interface Slot {
  second: number;
  requests: number;
  errors: number;
  buckets: number[];
}

export class RequestWindow {
  private slots: Slot[] = [];

  constructor(
    private readonly seconds: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  record(status: number, latencySeconds: number): void {
    const second = Math.floor(this.now() / 1000);
    let slot = this.slots[this.slots.length - 1];
    if (!slot || slot.second !== second) {
      slot = {
        second,
        requests: 0,
        errors: 0,
        buckets: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0),
      };
      this.slots.push(slot);
      this.evict(second);
    }
    slot.requests++;
    if (status >= 500) slot.errors++;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && latencySeconds > LATENCY_BUCKETS[i]) i++;
    slot.buckets[i]++;
  }

  reset(): void {
    this.slots = [];
  }

  stats(): WindowStats {
    this.evict(Math.floor(this.now() / 1000));
    const buckets = new Array<number>(LATENCY_BUCKETS.length + 1).fill(0);
    let requests = 0;
    let errors = 0;
    for (const s of this.slots) {
      requests += s.requests;
      errors += s.errors;
      s.buckets.forEach((n, i) => (buckets[i] += n));
    }
    return { requests, errors, p99Seconds: histogramQuantile(0.99, buckets) };
  }

  private evict(second: number): void {
    const oldest = second - Math.ceil(this.seconds) + 1;
    while (this.slots.length > 0 && this.slots[0].second < oldest) this.slots.shift();
  }
}

/**
 * Prometheus's histogram_quantile on per-bucket counts (the last one is +Inf): linear interpolation
 * inside the bucket that holds the rank; the highest finite bound when the rank falls in +Inf.
 */
export function histogramQuantile(q: number, counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const rank = q * total;
  let acc = 0;
  for (let i = 0; i < counts.length; i++) {
    if (acc + counts[i] >= rank && counts[i] > 0) {
      if (i === LATENCY_BUCKETS.length) return LATENCY_BUCKETS[i - 1];
      const lower = i === 0 ? 0 : LATENCY_BUCKETS[i - 1];
      return lower + (LATENCY_BUCKETS[i] - lower) * ((rank - acc) / counts[i]);
    }
    acc += counts[i];
  }
  return LATENCY_BUCKETS[LATENCY_BUCKETS.length - 1];
}
