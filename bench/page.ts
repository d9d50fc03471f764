// The page as a user has it: web/ served with COOP/COEP (tools/server.ts) in headless Chromium
// (/usr/bin/chromium, or $CHROMIUM_PATH; playwright-core drives it), a photo file given to the
// photo picker with the thread count chosen first; the page denoises it on upload. Returns the
// seconds the page's photo Worker reports for the denoise itself (decoded image in, planes out: no
// decoding, no engine start), and the build it ran, for bench/suites/users.ts to set beside the
// library in Node on the same file, build and threads.
import { existsSync } from "node:fs";
import { startServer } from "../tools/server.js";
import type { Rate } from "./users.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Why the page cannot be timed here, or undefined when it can. */
export function pageUnavailable(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`;
}

/** One denoise of `file` by the page at `threads`, in a fresh browser: its seconds and build. */
export async function pageDenoise(file: string, threads: number): Promise<Rate> {
  const why = pageUnavailable();
  if (why) return { note: why };
  const { chromium } = await import("playwright-core");
  const { server, url } = await startServer(0);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
  });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await page.evaluate(() => (window as any).denoiseApp.ready);
    await page.selectOption("#threads", String(threads));
    await page.setInputFiles("#photos", [file]);
    const handle = await page.waitForFunction(
      () => {
        const r = (window as any).denoiseApp.app.photos.result;
        const err = document.getElementById("error")?.textContent;
        return r ? { seconds: r.seconds, build: r.build, threads: r.threads } : err ? { error: err } : undefined;
      },
      null,
      { timeout: 1_800_000, polling: 500 },
    );
    const r = (await handle.jsonValue()) as { seconds: number; build: string; threads: number } | { error: string };
    if ("error" in r) return { note: `page: ${r.error}` };
    if (r.threads !== threads) return { note: `the page ran ${r.threads} threads, not ${threads}` };
    return { value: r.seconds, build: r.build };
  } catch (e) {
    return { note: `page: ${(e as Error).message.split("\n")[0]}` };
  } finally {
    await browser.close();
    server.close();
  }
}
