/**
 * Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core
 * (never a downloaded browser), kept off the network: every host name except 127.0.0.1 resolves to
 * nothing, and the page's requests are recorded so a test can assert it fetched only loopback URLs.
 */
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM_PATH = process.env.MLPACK_CHROMIUM ?? "/usr/bin/chromium";

/**
 * `webgl: true` gives WebGL on the CPU (SwiftShader), so a bundle's default TF.js backend, webgl,
 * runs in CI without a GPU.
 */
export async function launchChromium(opts: { webgl?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      ...(opts.webgl ? ["--use-angle=swiftshader", "--enable-unsafe-swiftshader"] : ["--disable-gpu"]),
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

/** A page whose requests (URLs) and console errors are collected for the test's assertions. */
export async function openPage(
  browser: Browser,
): Promise<{ page: Page; requests: string[]; errors: string[] }> {
  const page = await browser.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  return { page, requests, errors };
}
