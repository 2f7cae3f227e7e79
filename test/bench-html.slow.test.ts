/**
 * The bench HTML report opened in headless Chromium: the page loads nothing but itself, every chart
 * (histogram, CDF, per-round medians, for each configuration) is laid out with a real size, the
 * histogram has visible bars and the CDF and rounds charts have drawn paths for both models.
 */
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { makeChainModel } from "../src/bench/fixtures.js";
import { encodeModelProto } from "../src/onnx/proto.js";
import { runBuilt } from "./helpers/cli.js";
import { launchChromium, openPage } from "./helpers/chromium.js";
import { requireComponents } from "./helpers/components.js";
import { tempDir } from "./helpers/tmp.js";

const missing = requireComponents("bench HTML browser", ["chromium", "dist"]);

describe.skipIf(!!missing)("bench --html in headless Chromium", () => {
  const dir = tempDir("mlpack-bench-html-");
  let browser: Browser;
  beforeAll(async () => {
    for (const [name, extra] of [
      ["a.onnx", 0],
      ["b.onnx", 2],
    ] as const)
      fs.writeFileSync(
        path.join(dir, name),
        encodeModelProto(makeChainModel({ width: 64, layers: 4, extraLayers: extra })),
      );
    browser = await launchChromium();
  });
  afterAll(async () => browser?.close());

  it("renders every chart of an A/B report with two batch sizes", async () => {
    const html = path.join(dir, "report.html");
    const r = runBuilt(
      [
        "bench",
        path.join(dir, "b.onnx"),
        "--baseline",
        path.join(dir, "a.onnx"),
        "--batch",
        "1,4",
        "--duration",
        "300ms",
        "--warmup",
        "20",
        "--html",
        html,
        "--quiet",
      ],
      { timeoutMs: 60_000 },
    );
    expect([0, 3]).toContain(r.code);
    const { page, requests, errors } = await openPage(browser);
    const url = pathToFileURL(html).href;
    await page.goto(url);
    expect(errors).toEqual([]);
    expect(requests).toEqual([url]);

    const charts = await page.$$eval("svg.chart", (svgs) =>
      svgs.map((s) => {
        const box = s.getBoundingClientRect();
        const drawn = [...s.querySelectorAll("rect.bar, path.cdf, path.rounds")].map((e) => {
          const b = (e as unknown as { getBBox(): { width: number; height: number } }).getBBox();
          return { kind: e.getAttribute("class"), w: b.width, h: b.height };
        });
        return { cls: s.getAttribute("class"), w: box.width, h: box.height, drawn };
      }),
    );
    // Two configurations (batch 1 and 4), three charts each.
    expect(charts.map((c) => c.cls)).toEqual([
      "chart histogram",
      "chart cdf",
      "chart rounds",
      "chart histogram",
      "chart cdf",
      "chart rounds",
    ]);
    for (const c of charts) {
      expect(c.w).toBeGreaterThan(200);
      expect(c.h).toBeGreaterThan(100);
    }
    for (const c of charts.filter((c) => c.cls === "chart histogram")) {
      expect(c.drawn.filter((d) => d.h > 0).length).toBeGreaterThan(5);
    }
    for (const c of charts.filter((c) => c.cls !== "chart histogram")) {
      const lines = c.drawn.filter((d) => d.w > 50);
      expect(lines.length).toBe(2); // one line per model
    }
    const verdicts = await page.$$eval("td.verdict", (els) => els.map((e) => e.textContent));
    expect(verdicts.length).toBeGreaterThan(0);
    for (const v of verdicts) expect(["regressed", "improved", "unchanged", "inconclusive"]).toContain(v);
  });
});
