/** Inline SVG charts for the HTML report (pure string builders; no scripts, no external resources). */
import { quantileSorted, sortedCopy } from "../stats.js";
import { fmtMs } from "./format.js";

export interface Series {
  label: string;
  color: string;
  values: ArrayLike<number>;
}

const W = 560;
const H = 240;
const M = { left: 52, right: 16, top: 14, bottom: 38 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

const esc = (s: string) =>
  s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);
const n2 = (x: number) => (Math.round(x * 100) / 100).toString();

function axes(
  xMin: number,
  xMax: number,
  yMax: number,
  labels: { x: string; y: string },
  yFmt: (y: number) => string,
  xFmt: (x: number) => string = fmtMs,
  yMin = 0,
): string {
  const parts: string[] = [`<g class="axes" font-size="11" fill="#444">`];
  for (let i = 0; i <= 5; i++) {
    const x = M.left + (PW * i) / 5;
    const v = xMin + ((xMax - xMin) * i) / 5;
    parts.push(`<line x1="${n2(x)}" y1="${M.top + PH}" x2="${n2(x)}" y2="${M.top + PH + 4}" stroke="#888"/>`);
    parts.push(`<text x="${n2(x)}" y="${M.top + PH + 16}" text-anchor="middle">${esc(xFmt(v))}</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const y = M.top + PH - (PH * i) / 4;
    parts.push(`<line x1="${M.left}" y1="${n2(y)}" x2="${M.left + PW}" y2="${n2(y)}" stroke="#eee"/>`);
    parts.push(
      `<text x="${M.left - 6}" y="${n2(y + 4)}" text-anchor="end">${esc(yFmt(yMin + ((yMax - yMin) * i) / 4))}</text>`,
    );
  }
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${PW}" height="${PH}" fill="none" stroke="#888"/>`);
  parts.push(`<text x="${M.left + PW / 2}" y="${H - 4}" text-anchor="middle">${esc(labels.x)}</text>`);
  parts.push(
    `<text transform="translate(12 ${M.top + PH / 2}) rotate(-90)" text-anchor="middle">${esc(labels.y)}</text>`,
  );
  parts.push(`</g>`);
  return parts.join("");
}

function legend(series: { label: string; color: string }[]): string {
  return series
    .map(
      (s, i) =>
        `<g class="legend"><rect x="${M.left + 8}" y="${M.top + 6 + i * 16}" width="10" height="10" fill="${s.color}"/><text x="${M.left + 22}" y="${M.top + 15 + i * 16}" font-size="11">${esc(s.label)}</text></g>`,
    )
    .join("");
}

/** Shared x range: 0.5th to 99.5th percentile of all series (the far tail would flatten the rest). */
function xRange(series: Series[]): [number, number] {
  const all = sortedCopy(series.flatMap((s) => Array.from(s.values)));
  let lo = quantileSorted(all, 0.005);
  let hi = quantileSorted(all, 0.995);
  if (!(hi > lo)) [lo, hi] = [lo * 0.95, hi * 1.05 + 1e-9];
  return [lo, hi];
}

/** Overlaid latency histograms, values outside the range counted in the edge bins. */
export function histogramSvg(title: string, series: Series[], bins = 40): string {
  const [lo, hi] = xRange(series);
  const width = (hi - lo) / bins;
  const counts = series.map((s) => {
    const c = new Array<number>(bins).fill(0);
    for (let i = 0; i < s.values.length; i++)
      c[Math.min(bins - 1, Math.max(0, Math.floor((s.values[i] - lo) / width)))]++;
    return c.map((k) => k / Math.max(1, s.values.length));
  });
  const yMax = Math.max(1e-9, ...counts.flat());
  const bars = counts
    .map((c, si) =>
      c
        .map((f, b) => {
          const h = (f / yMax) * PH;
          const x = M.left + (b * PW) / bins;
          const tip = `${series[si].label}: ${fmtMs(lo + b * width)}–${fmtMs(lo + (b + 1) * width)} ms, ${(f * 100).toFixed(1)}%`;
          return `<rect class="bar" x="${n2(x)}" y="${n2(M.top + PH - h)}" width="${n2(PW / bins)}" height="${n2(h)}" fill="${series[si].color}" fill-opacity="0.55"><title>${esc(tip)}</title></rect>`;
        })
        .join(""),
    )
    .join("");
  return `<svg class="chart histogram" role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">${axes(lo, hi, yMax * 100, { x: "latency (ms)", y: "% of calls" }, (y) => y.toFixed(1))}${bars}${legend(series)}</svg>`;
}

/** Empirical CDFs as step lines (at most ~400 points each). */
export function cdfSvg(title: string, series: Series[]): string {
  const [lo, hi] = xRange(series);
  const sx = (x: number) => M.left + ((Math.min(hi, Math.max(lo, x)) - lo) / (hi - lo)) * PW;
  const sy = (p: number) => M.top + PH - p * PH;
  const paths = series
    .map((s) => {
      const v = sortedCopy(s.values);
      const n = v.length;
      const step = Math.max(1, Math.floor(n / 400));
      const pts: string[] = [];
      for (let i = 0; i < n; i += step) pts.push(`${n2(sx(v[i]))},${n2(sy((i + 1) / n))}`);
      pts.push(`${n2(sx(v[n - 1]))},${n2(sy(1))}`);
      return `<path class="cdf" d="M${pts.join("L")}" fill="none" stroke="${s.color}" stroke-width="2"><title>${esc(s.label)}</title></path>`;
    })
    .join("");
  return `<svg class="chart cdf" role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">${axes(lo, hi, 1, { x: "latency (ms)", y: "fraction of calls ≤ x" }, (y) => y.toFixed(2))}${paths}${legend(series)}</svg>`;
}

/** Median latency of each interleaved round: drift and interference show up here. */
export function roundsSvg(
  title: string,
  series: { label: string; color: string; roundMedians: number[] }[],
): string {
  const all = series.flatMap((s) => s.roundMedians).filter(Number.isFinite);
  const yMax = Math.max(1e-9, ...all) * 1.05;
  const yMin = all.length ? Math.min(...all) * 0.9 : 0;
  const rounds = Math.max(2, ...series.map((s) => s.roundMedians.length));
  const sx = (r: number) => M.left + (r / (rounds - 1)) * PW;
  const sy = (y: number) => M.top + PH - ((y - yMin) / (yMax - yMin)) * PH;
  const lines = series
    .map(
      (s) =>
        `<path class="rounds" d="M${s.roundMedians.map((y, r) => `${n2(sx(r))},${n2(sy(y))}`).join("L")}" fill="none" stroke="${s.color}" stroke-width="1.5"><title>${esc(s.label)}</title></path>`,
    )
    .join("");
  const ax = axes(
    0,
    rounds - 1,
    yMax,
    { x: "round", y: "median latency (ms)" },
    fmtMs,
    (x) => String(Math.round(x)),
    yMin,
  );
  return `<svg class="chart rounds" role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">${ax}${lines}${legend(series)}</svg>`;
}
