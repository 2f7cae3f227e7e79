/** Canary steps: traffic percentages, increasing, ending at 100 (config key and `--steps`). */

/** Why `steps` is not a valid list of canary steps, or undefined when it is. */
export function stepsProblem(steps: readonly number[]): string | undefined {
  const ok = steps.every(
    (s, i) => Number.isInteger(s) && s >= 1 && s <= 100 && (i === 0 || s > steps[i - 1]),
  );
  if (!ok || steps.length === 0 || steps.at(-1) !== 100)
    return `${JSON.stringify(steps)} is not a list of increasing percentages (1 to 100) ending at 100`;
  return undefined;
}
