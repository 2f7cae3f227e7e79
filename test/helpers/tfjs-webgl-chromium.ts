/**
 * Headless Chromium with WebGL on the CPU (SwiftShader), so the bundle's default TF.js backend,
 * webgl, runs in CI without a GPU. Same network rules as test/helpers/chromium.ts: every host name
 * but 127.0.0.1 resolves to nothing.
 */
import { chromium, type Browser } from "playwright-core";
import { CHROMIUM_PATH } from "./chromium.js";

export async function launchWebglChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      "--use-angle=swiftshader",
      "--enable-unsafe-swiftshader",
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-default-apps",
      "--disable-domain-reliability",
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ],
  });
}
