// The README's picture of the page (docs/web.png), made from the current page in Chromium: a colour
// test photo with noise added to compare (σ 25), before / after split, the digit section, and a
// short digit training run (its validation gate's verdict in the status line).
//   node dist/bench/web-screenshot.js [out.png]      (needs /usr/bin/chromium, or CHROMIUM_PATH)
import { chromium } from "playwright-core";
import { PACKAGE_ROOT } from "../host/node/files.js";
import { startServer } from "../tools/server.js";

const out = process.argv[2] ?? `${PACKAGE_ROOT}docs/web.png`;
const { server, url } = await startServer(0);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
  await page.goto(url);
  await page.evaluate(() => (window as any).denoiseApp.ready);
  await page.selectOption("#photoMode", "compare");
  await page.setInputFiles("#photos", [
    `${PACKAGE_ROOT}data/photos/test/coffee.png`,
    `${PACKAGE_ROOT}data/photos/test/astronaut.png`,
  ]);
  await page.waitForFunction(() => (window as any).denoiseApp.app.photos.result?.scores, null, {
    timeout: 600_000,
    polling: 500,
  });
  await page.evaluate(() => (window as any).denoiseApp.app.trainFromPage(40));
  await page.screenshot({ path: out, fullPage: true });
  process.stdout.write(`wrote ${out}\n`);
} finally {
  await browser.close();
  server.close();
}
