/**
 * Smooth weighted round-robin (nginx's upstream balancer) between a model's stable and canary versions:
 * deterministic, and exact over every 100 picks for whole-percent weights (10% → 10 of every 100,
 * spread out rather than in a burst), so the observed split is the requested one at any sample size.
 */
export class WeightedSplit {
  private current = [0, 0];
  private weights: [number, number];

  /** `canaryPercent` of the picks go to the canary (index 1). */
  constructor(canaryPercent: number) {
    this.weights = [100 - canaryPercent, canaryPercent];
  }

  get canaryPercent(): number {
    return this.weights[1];
  }

  /** A new weight takes effect at the next pick; the running credit restarts so it does not skew it. */
  set canaryPercent(p: number) {
    this.weights = [100 - p, p];
    this.current = [0, 0];
  }

  /** True when this request goes to the canary. */
  pickCanary(): boolean {
    const [ws, wc] = this.weights;
    if (wc <= 0) return false;
    if (ws <= 0) return true;
    this.current[0] += ws;
    this.current[1] += wc;
    const canary = this.current[1] > this.current[0];
    this.current[canary ? 1 : 0] -= 100;
    return canary;
  }
}
