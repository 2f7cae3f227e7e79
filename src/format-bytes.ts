/**
 * The one byte-size formatter of mlpack's output (inspect, quantize, bench reports, build summaries,
 * push, Lambda and TF.js notes): binary units, one decimal, so the same size reads the same
 * everywhere. Limits quoted by other systems (Lambda's "250 MB") keep their own wording in messages.
 */
const UNITS = ["KiB", "MiB", "GiB", "TiB"];

/** 512 → "512 B", 69_529 → "67.9 KiB", 59_460_000 → "56.7 MiB". */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return `${n} B`;
  if (Math.abs(n) < 1024) return `${n} B`;
  let v = n / 1024;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${UNITS[i]}`;
}
