/**
 * Step 0: every later step's cheap checks (files, the base registry, dependencies), run before any
 * step spends time, so a missing calibration folder or an unreachable base fails in seconds instead
 * of after the quantize step. Never cached: it checks the world outside the project.
 */
import type { BuildStep, StepOutcome } from "../types.js";

/** The preflight of `steps` (those that run in this build). */
export function preflightStep(steps: BuildStep[]): BuildStep {
  return {
    name: "preflight",
    async run(ctx): Promise<StepOutcome> {
      const notes: string[] = [];
      for (const s of steps) {
        if (!s.preflight) continue;
        ctx.log.progress(undefined, s.name);
        const note = await s.preflight(ctx);
        if (note) notes.push(note);
      }
      return { status: "ok", summary: notes.join("; ") || "nothing to check" };
    },
  };
}
