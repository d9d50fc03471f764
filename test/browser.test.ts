// The page in real Chromium (Debian's /usr/bin/chromium driven by playwright-core), served by
// `npm run web`'s server: loads without console errors, denoises, draws, uploads, trains in a Worker
// (loss falls, the page stays responsive, stop/resume, download), and a strict-build training run in
// Chromium is bit-identical to the same run in Node. Skipped, saying so, where Chromium is absent.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import type { Server } from "node:http";
import { chromium, type Browser, type Page } from "playwright-core";
import { imagesFromIdx, parseIdx } from "../host/core/idx.js";
import { Model } from "../host/core/model.js";
import { loadEngineNode, nodePool } from "../host/node/engine.js";
import { PACKAGE_ROOT, readSafetensors } from "../host/node/files.js";
import { Trainer } from "../host/core/train.js";
import { archOf, loadWeights, weightsDigest } from "../host/core/weights.js";
import { startServer } from "../web/server.js";
import { craftPng } from "./pngcraft.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const OUT = `${PACKAGE_ROOT}test-output/`;
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} not found: browser tests skipped (apt-get install chromium)`;
if (skip) console.log(`# SKIPPED: ${skip}`);

let server: Server, url: string, browser: Browser, page: Page;
const consoleErrors: string[] = [];

// The app object the page exposes as window.denoiseApp (typed loosely: it lives in the page).
type AppHandle = { app: any; ready: Promise<void> };
const inPage = <T>(fn: (h: AppHandle, arg: any) => T | Promise<T>, arg?: unknown): Promise<T> =>
  page.evaluate(([src, a]) => new Function("h", "a", `return (${src})(h, a)`)((window as any).denoiseApp, a), [fn.toString(), arg] as const) as Promise<T>;

before(async () => {
  if (skip) return;
  ({ server, url } = await startServer(0));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--js-flags=--expose-gc", "--enable-precise-memory-info", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  page = await browser.newPage({ viewport: { width: 1100, height: 1100 } });
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  await page.goto(url);
  await page.evaluate(() => (window as any).denoiseApp.ready);
});

after(async () => {
  await browser?.close();
  server?.close();
});

test("the page loads the engine, weights and digits with no console errors", { skip }, async () => {
  const note = await page.textContent("#engine");
  assert.match(note!, /engine: (relaxed|strict|scalar) build — .*; cross-origin isolated/);
  assert.equal(await page.evaluate(() => crossOriginIsolated), true);
  assert.equal(await inPage((h) => h.app.engine.build), "relaxed", "Chromium runs relaxed SIMD");
  assert.deepEqual(consoleErrors, []);
});

test("denoising a noisy digit beats the noisy input's PSNR and SSIM for every noise type", { skip }, async () => {
  for (const kind of ["gaussian", "salt-pepper", "speckle"]) {
    for (const digit of [0, 7, 33]) {
      const s = await inPage((h, a) => {
        h.app.setNoiseKind(a.kind);
        h.app.selectDigit(a.digit);
        return { noisy: h.app.noisyScore, denoised: h.app.denoisedScore };
      }, { kind, digit });
      assert.ok(s.denoised.psnr > s.noisy.psnr + 2, `${kind} digit ${digit}: ${JSON.stringify(s)}`);
      assert.ok(s.denoised.ssim > s.noisy.ssim, `${kind} digit ${digit} SSIM`);
    }
  }
  await inPage((h) => { h.app.setNoiseKind("gaussian"); h.app.selectDigit(0); });
  // Denoising one 28×28 digit (the model's forward pass at batch 1) in the page's main thread.
  const ms = await inPage((h) => {
    const m = h.app.modelFor(28, 28);
    m.inputView(1).set(h.app.noisy);
    for (let i = 0; i < 20; i++) m.forward(1);
    const t: number[] = [];
    for (let i = 0; i < 50; i++) { const t0 = performance.now(); m.forward(1); t.push(performance.now() - t0); }
    return t.sort((a, b) => a - b)[25];
  });
  console.log(`# one 28×28 digit denoised in ${ms.toFixed(3)} ms (median, Chromium, ${await inPage((h) => h.app.engine.build)} build)`);
  assert.ok(ms < 5, `denoising a digit took ${ms} ms`);
});

test("drawing with the mouse and uploading a PNG of another size both get denoised", { skip }, async () => {
  await page.click("#clear");
  const box = (await page.locator("#clean").boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.8, { steps: 12 });
  await page.mouse.up();
  const drawn = await inPage((h) => ({ ink: h.app.clean.data.reduce((a: number, b: number) => a + b, 0), out: h.app.denoised.length }));
  assert.ok(drawn.ink > 5, `no stroke drawn (${drawn.ink})`);

  const png = craftPng({ width: 40, height: 30, colorType: 2, bitDepth: 8 }, (x, y) => (Math.abs(x - 20) < 3 || Math.abs(y - 15) < 2 ? [240, 240, 240] : [5, 5, 5]));
  await page.setInputFiles("#upload", { name: "plus.png", mimeType: "image/png", buffer: png });
  await page.waitForFunction(() => (window as any).denoiseApp.app.clean.width === 40);
  const up = await inPage((h) => ({ w: h.app.clean.width, hgt: h.app.clean.height, n: h.app.denoised.length, s: h.app.denoisedScore }));
  assert.deepEqual([up.w, up.hgt, up.n], [40, 30, 1200]);
  assert.ok(up.s.psnr > 0);
  await inPage((h) => h.app.selectDigit(0));
});

const UPLOADS = 50;
test(`${UPLOADS} uploads of random sizes in one page session: the page's model memory comes back to its start level, wasm memory flat`, { skip }, async () => {
  const r = (k: number) => ((k * 2654435761) >>> 0) / 2 ** 32;
  const sizes = Array.from({ length: UPLOADS }, (_, k) => [8 + Math.floor(r(2 * k + 1) * 112), 8 + Math.floor(r(2 * k + 2) * 112)]);
  const measure = () => inPage((h) => {
    (window as any).gc();
    return { top: h.app.engine.heapTop(), wasm: h.app.engine.memory.buffer.byteLength, js: (performance as any).memory.usedJSHeapSize as number };
  });
  const pass = async () => {
    for (const [k, [w, hgt]] of sizes.entries()) {
      const png = craftPng({ width: w, height: hgt, colorType: 2, bitDepth: 8 }, (x, y) => [(x * 9 + k) % 256, (y * 5) % 256, ((x + y) * 3) % 256]);
      const got = await inPage(async (h, a) => {
        await h.app.upload(new Blob([new Uint8Array(a)], { type: "image/png" }));
        return [h.app.clean.width, h.app.clean.height, h.app.denoised.length];
      }, [...png]);
      assert.deepEqual(got, [w, hgt, w * hgt], `upload ${k}`);
    }
    await inPage((h) => h.app.selectDigit(0));
  };
  await inPage((h) => h.app.selectDigit(0));
  const start = await measure();
  await pass();
  const one = await measure();
  await pass();
  const two = await measure();
  const mb = (b: number) => (b / 2 ** 20).toFixed(1);
  console.log(`# page: ${2 * UPLOADS} uploads of 8–119 px sides: allocator top ${mb(start.top)} → ${mb(two.top)} MiB, wasm ${mb(start.wasm)} → ${mb(one.wasm)} → ${mb(two.wasm)} MiB, JS heap ${mb(start.js)} → ${mb(one.js)} → ${mb(two.js)} MiB`);
  assert.equal(one.top, start.top, "the page's model memory did not come back after the uploads");
  assert.equal(two.top, start.top);
  assert.equal(two.wasm, one.wasm, "wasm memory grew on a second pass over the same sizes");
  assert.ok(Math.abs(two.js - one.js) < 4 * 2 ** 20, `JS heap moved by ${mb(two.js - one.js)} MB between passes`);
  assert.deepEqual(consoleErrors, []);
});

test("training in the Worker lowers the loss, keeps the page responsive, stops, resumes and downloads", { skip }, async () => {
  // From a fresh init the loss falls fast; meanwhile the main thread must keep answering.
  const started = inPage((h) => h.app.train({ ...h.app.setup(), weights: h.app.freshWeights(3), noise: "gaussian", batch: 16 }, 80));
  const lags: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t = Date.now();
    await page.evaluate(() => 1);
    lags.push(Date.now() - t);
    await new Promise((r) => setTimeout(r, 20));
  }
  const done = await started;
  assert.equal(done.type, "done");
  const l = done.losses as number[];
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  console.log(`# worker training: loss ${mean(l.slice(0, 10)).toFixed(4)} (first 10 steps) → ${mean(l.slice(-10)).toFixed(4)} (last 10); page round trip max ${Math.max(...lags)} ms`);
  assert.ok(mean(l.slice(-10)) < 0.8 * mean(l.slice(0, 10)), "loss did not fall");
  assert.ok(Math.max(...lags) < 250, `page froze: ${lags}`);

  // Stop after the first progress report, then resume to the end: all steps are taken once.
  const paused = inPage((h) => h.app.train({ ...h.app.setup(), batch: 16 }, 120));
  await page.waitForFunction(() => /step \d+/.test(document.getElementById("trainStatus")!.textContent!));
  await page.click("#stop");
  const p = await paused;
  assert.equal(p.type, "stopped");
  assert.ok(p.step < 120);
  assert.equal(await page.isEnabled("#resume"), true);
  const r = await inPage((h) => h.app.resume());
  assert.equal(r.type, "done");
  assert.equal(r.step, 120);

  // The new weights replaced the page's model; the download is a .safetensors the CLI loads.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
  mkdirSync(OUT, { recursive: true });
  const file = `${OUT}browser-weights.safetensors`;
  await download.saveAs(file);
  const engine = await loadEngineNode({ build: "strict" });
  const st = readSafetensors(file);
  const model = new Model(engine, archOf(st, file, "seed"), 1);
  assert.equal(loadWeights(model, st, file, true), true, "Adam state missing from the download");
  await page.screenshot({ path: `${OUT}browser.png`, fullPage: true });
  console.log(`# screenshot: ${OUT}browser.png`);
});

for (const threads of [1, 2]) {
  test(`strict build, ${threads} thread(s): N training steps in Chromium's Worker are bit-identical to Node's`, { skip }, async () => {
    const steps = 100, setup = { noise: "mixed" as const, batch: 16, lr: 1e-3, seed: 7, threads };
    const browserRun = await inPage((h, a) => h.app.train({ ...h.app.setup(), ...a.setup, build: "strict", weights: h.app.freshWeights(5) }, a.steps), { setup, steps });
    assert.equal(await inPage((h) => h.app.trainThreads), threads, "the page did not train with the threads asked for");

    const engine = await loadEngineNode({ build: "strict", threads: threads > 1 });
    const pool = threads > 1 ? await nodePool(engine, threads) : undefined;
    try {
      // freshWeights(5) initialised the architecture of the page's (default) weights.
      const defaults = `${PACKAGE_ROOT}data/default.safetensors`;
      const model = new Model(engine, archOf(readSafetensors(defaults), defaults, "seed"), setup.batch, pool);
      model.init(5);
      const images = imagesFromIdx(parseIdx(gunzipSync(readFileSync(`${PACKAGE_ROOT}data/digits-train.idx.gz`)), "digits"), "digits");
      const trainer = new Trainer(model, images, { ...setup, shuffle: true });
      const losses: number[] = [];
      model.adam.lr = setup.lr;
      for (let i = 0; i < steps; i++) losses.push(trainer.step());
      console.log(`# ${threads} thread(s): Node ${weightsDigest(model)} vs Chromium ${browserRun.digest} after ${steps} steps`);
      assert.deepEqual(browserRun.losses, losses, "losses differ");
      assert.equal(browserRun.digest, weightsDigest(model));
    } finally {
      pool?.close();
    }
    assert.deepEqual(consoleErrors, []);
  });
}
