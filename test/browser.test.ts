// The page in real Chromium (Debian's /usr/bin/chromium driven by playwright-core), served by
// `npm run web`'s server: loads without console errors, denoises digits, draws, trains in a Worker
// (loss falls, the page stays responsive, stop/resume, download), and a strict-build training run in
// Chromium is bit-identical to the same run in Node. Photos (issue 15): a colour PNG denoised as is
// downloads as exactly the CLI's `denoise` output (strict build); errors show red and clear, with
// nothing stale; a 12 MP JPEG denoises in the Worker's threads (timed; cancel works); memory stays
// flat over 10 uploads of different sizes; training on 20 photos adopts its weights only if
// validation improved, and reset brings the shipped models back. Skipped, saying so, where
// Chromium is absent. PAGE_12MP_THREADS=1,2 times the 12 MP photo at each thread count; PAGE_12MP_COLOUR=1 makes it colour.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import jpeg from "jpeg-js";
import type { PlanarImage } from "../host/core/image.js";
import { readImagePlanes } from "../host/node/images.js";
import { decodePngPlanes, encodePngPlanes, pngHeader } from "../host/node/png.js";
import { runCli } from "./helpers.js";
import { phoneJpeg } from "./phone-jpeg.js";
import { readMetadata, uprightExif } from "../host/core/metadata.js";
import { gunzipSync } from "node:zlib";
import type { Server } from "node:http";
import { chromium, type Browser, type Page } from "playwright-core";
import { imagesFromIdx, parseIdx } from "../host/core/idx.js";
import { Model } from "../host/core/model.js";
import { openNodeEngine, nodePool } from "../host/node/engine.js";
import { PACKAGE_ROOT, readSafetensors } from "../host/node/files.js";
import { Trainer } from "../host/core/train.js";
import { archOf, applyWeights, weightsDigest } from "../host/core/weights.js";
import { startServer } from "../tools/server.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const OUT = `${PACKAGE_ROOT}test-output/`;
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} not found: browser tests skipped (apt-get install chromium)`;
if (skip) console.log(`# SKIPPED: ${skip}`);

let server: Server, url: string, browser: Browser, page: Page;
const consoleErrors: string[] = [];

// The app object the page exposes as window.denoiseApp (typed loosely: it lives in the page).
type AppHandle = { app: any; ready: Promise<void> };
const inPage = <T>(fn: (h: AppHandle, arg: any) => T | Promise<T>, arg?: unknown): Promise<T> =>
  page.evaluate(([src, a]) => new Function("h", "a", `return (${src})(h, a)`)((window as any).denoiseApp, a), [
    fn.toString(),
    arg,
  ] as const) as Promise<T>;

before(async () => {
  if (skip) return;
  ({ server, url } = await startServer(0));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // expose-gc and precise memory info: the memory test reads the page's JS heap after a collection.
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--js-flags=--expose-gc",
      "--enable-precise-memory-info",
    ],
  });
  page = await browser.newPage({ viewport: { width: 1100, height: 1100 } });
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
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
      const s = await inPage(
        (h, a) => {
          h.app.setNoiseKind(a.kind);
          h.app.selectDigit(a.digit);
          return { noisy: h.app.noisyScore, denoised: h.app.denoisedScore };
        },
        { kind, digit },
      );
      assert.ok(s.denoised.psnr > s.noisy.psnr + 2, `${kind} digit ${digit}: ${JSON.stringify(s)}`);
      assert.ok(s.denoised.ssim > s.noisy.ssim, `${kind} digit ${digit} SSIM`);
    }
  }
  await inPage((h) => {
    h.app.setNoiseKind("gaussian");
    h.app.selectDigit(0);
  });
  // Denoising one 28×28 digit (the model's forward pass at batch 1) in the page's main thread.
  const ms = await inPage((h) => {
    const m = h.app.modelFor(28, 28);
    m.inputView(1).set(h.app.noisy);
    for (let i = 0; i < 20; i++) m.forward(1);
    const t: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      m.forward(1);
      t.push(performance.now() - t0);
    }
    return t.sort((a, b) => a - b)[25];
  });
  console.log(
    `# one 28×28 digit denoised in ${ms.toFixed(3)} ms (median, Chromium, ${await inPage((h) => h.app.engine.build)} build)`,
  );
  assert.ok(ms < 5, `denoising a digit took ${ms} ms`);
});

test("drawing with the mouse gets denoised; Clear drops the digit highlight", { skip }, async () => {
  await page.click("#clear");
  const box = (await page.locator("#clean").boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.8, { steps: 12 });
  await page.mouse.up();
  const drawn = await inPage((h) => ({
    ink: h.app.clean.data.reduce((a: number, b: number) => a + b, 0),
    out: h.app.denoised.length,
  }));
  assert.ok(drawn.ink > 5, `no stroke drawn (${drawn.ink})`);
  assert.equal(await page.locator("#thumbs canvas.sel").count(), 0, "a digit is still highlighted after Clear");
  await inPage((h) => h.app.selectDigit(0));
});

test("training in the Worker lowers the loss, keeps the page responsive, stops, resumes and downloads", {
  skip,
}, async () => {
  // From a fresh init the loss falls fast; meanwhile the main thread must keep answering.
  const started = inPage((h) =>
    h.app.train({ ...h.app.setup(), weights: h.app.freshWeights(3), noise: "gaussian", batch: 16 }, 80),
  );
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
  console.log(
    `# worker training: loss ${mean(l.slice(0, 10)).toFixed(4)} (first 10 steps) → ${mean(l.slice(-10)).toFixed(4)} (last 10); page round trip max ${Math.max(...lags)} ms`,
  );
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
  const engine = await openNodeEngine({ build: "strict" });
  const st = readSafetensors(file);
  const model = new Model(engine, archOf(st, file, "seed"), 1);
  assert.equal(applyWeights(model, st, file, true), true, "Adam state missing from the download");
  await page.screenshot({ path: `${OUT}browser.png`, fullPage: true });
  console.log(`# screenshot: ${OUT}browser.png`);
});

// --- Photos (issue 15) ---

const TEST_PHOTOS = `${PACKAGE_ROOT}data/photos/test/`,
  TRAIN_PHOTOS = `${PACKAGE_ROOT}data/photos/train/`;

/** A w × h window of a photo from (x0, y0), wrapping around its edges (any size from any photo). */
function crop(img: PlanarImage, w: number, h: number, x0 = 0, y0 = 0): PlanarImage {
  const planes = img.planes.map((p) => {
    const out = new Float32Array(w * h);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) out[y * w + x] = p[((y0 + y) % img.height) * img.width + ((x0 + x) % img.width)];
    return out;
  });
  return { width: w, height: h, planes };
}

/** Waits for the photo section's result for the file `name` (or its error) and returns it. */
async function photoResult(name: string, timeout = 120_000): Promise<any> {
  await page.waitForFunction(
    (n) => {
      const p = (window as any).denoiseApp.app.photos;
      const error = document.getElementById("error")!;
      return (p.result && p.current?.file.name === n) || (!error.hidden && error.textContent!.includes(n));
    },
    name,
    { timeout, polling: 200 },
  );
  return inPage((h) => {
    const r = h.app.photos.result;
    return r && { ...r, rgba: undefined, noisy: undefined };
  });
}

const allThreads = () => inPage(() => navigator.hardwareConcurrency || 1);

test("photos: a colour PNG denoised as is (strict build) downloads as exactly the CLI's denoise output; compare mode scores it", {
  skip,
}, async () => {
  mkdirSync(OUT, { recursive: true });
  const input = `${OUT}page-colour.png`,
    fromCli = `${OUT}page-colour-cli.png`,
    fromPage = `${OUT}page-colour-page.png`;
  writeFileSync(input, encodePngPlanes(crop(readImagePlanes(`${TEST_PHOTOS}astronaut.png`), 300, 200, 120, 40)));
  await inPage((h) => {
    h.app.photos.clearPhotos();
    h.app.photos.build = "strict";
  });
  const threads = Math.min(2, await allThreads());
  await page.selectOption("#threads", String(threads));
  await page.setInputFiles("#photos", input);
  const r = await photoResult("page-colour.png");
  assert.ok(r, `no result: ${await page.textContent("#error")}`);
  assert.equal(r.build, "strict");
  assert.equal(r.threads, threads);
  assert.equal(r.scores, undefined, "denoise as is has no reference: no PSNR / SSIM");
  assert.equal((await page.textContent("#photoScore"))!.trim(), "");

  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#downloadPng")]);
  await download.saveAs(fromPage);
  const cli = runCli(["denoise", input, "-o", fromCli, "--build", "strict", "--threads", "1", "--quiet"]);
  assert.equal(cli.code, 0, cli.err);
  const a = decodePngPlanes(readFileSync(fromPage), fromPage),
    b = decodePngPlanes(readFileSync(fromCli), fromCli);
  assert.equal(a.planes.length, 3, "colour kept");
  assert.equal(a.alpha, undefined);
  assert.equal(pngHeader(readFileSync(fromPage), fromPage).colorType, 2, "an opaque colour result is an RGB PNG");
  for (let c = 0; c < 3; c++)
    assert.ok(
      Buffer.from(a.planes[c].buffer).equals(Buffer.from(b.planes[c].buffer)),
      `plane ${"RGB"[c]}: the page's PNG differs from the CLI's`,
    );
  const orig = decodePngPlanes(readFileSync(input), input);
  assert.ok(
    a.planes[0].some((v, i) => v !== orig.planes[0][i]),
    "the download is the input unchanged",
  );
  console.log(
    `# page PNG == CLI PNG, bit for bit (strict build, 300×200 colour, page ${threads} thread(s) vs CLI 1; ${r.seconds.toFixed(2)} s in the page)`,
  );

  // "add noise to compare": noisy and denoised scored against the picture as loaded.
  await page.selectOption("#photoMode", "compare");
  await page.waitForFunction(() => (window as any).denoiseApp.app.photos.result?.scores, null, { timeout: 120_000 });
  const s = await inPage((h) => h.app.photos.result.scores);
  console.log(
    `# compare mode, σ 25: noisy ${s.noisy.psnr.toFixed(2)} dB / ${s.noisy.ssim.toFixed(3)} → denoised ${s.denoised.psnr.toFixed(2)} dB / ${s.denoised.ssim.toFixed(3)}`,
  );
  assert.ok(s.denoised.psnr > s.noisy.psnr + 3 && s.denoised.ssim > s.noisy.ssim, JSON.stringify(s));
  assert.match(
    (await page.textContent("#photoScore"))!,
    /against your upload as the clean image.*noisy PSNR .* → denoised PSNR/,
  );
  await page.selectOption("#photoMode", "asis");
  await photoResult("page-colour.png");
  await inPage((h) => {
    h.app.photos.build = "auto";
  });
});

test("photos: a gray PNG downloads as a gray PNG (colour type 0), the CLI's pixels (strict build)", {
  skip,
}, async () => {
  mkdirSync(OUT, { recursive: true });
  const input = `${OUT}page-gray.png`,
    fromCli = `${OUT}page-gray-cli.png`,
    fromPage = `${OUT}page-gray-page.png`;
  const colour = crop(readImagePlanes(`${TEST_PHOTOS}astronaut.png`), 160, 120, 140, 60);
  writeFileSync(input, encodePngPlanes({ ...colour, planes: [colour.planes[1]] }));
  await inPage((h) => {
    h.app.photos.build = "strict"; // the list keeps page-colour.png first: the next test goes back to it
  });
  await page.setInputFiles("#photos", input);
  const r = await photoResult("page-gray.png");
  assert.ok(r, `no result: ${await page.textContent("#error")}`);
  assert.equal(r.channels, 1);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#downloadPng")]);
  await download.saveAs(fromPage);
  const cli = runCli(["denoise", input, "-o", fromCli, "--build", "strict", "--threads", "1", "--quiet"]);
  assert.equal(cli.code, 0, cli.err);
  const png = readFileSync(fromPage);
  assert.equal(pngHeader(png, fromPage).colorType, 0, "the page's PNG is not gray");
  assert.equal(pngHeader(png, fromPage).depth, 8);
  const a = decodePngPlanes(png, fromPage),
    b = decodePngPlanes(readFileSync(fromCli), fromCli);
  assert.deepEqual([a.planes.length, b.planes.length, !!a.alpha], [1, 1, false]);
  assert.ok(
    Buffer.from(a.planes[0].buffer).equals(Buffer.from(b.planes[0].buffer)),
    "the page's gray PNG differs from the CLI's",
  );
  await inPage((h) => {
    h.app.photos.build = "auto";
  });
});

test("photos: a phone JPEG (EXIF orientation 6, ICC, XMP) downloads upright as JPEG and PNG with its metadata; strip drops it", {
  skip,
}, async () => {
  mkdirSync(OUT, { recursive: true });
  const { bytes, md } = phoneJpeg(64, 48),
    input = `${OUT}page-phone.jpg`;
  writeFileSync(input, bytes);
  await page.setInputFiles("#photos", input);
  assert.ok(await photoResult("page-phone.jpg"), `no result: ${await page.textContent("#error")}`);
  const saved = async (button: string, name: string) => {
    const [download] = await Promise.all([page.waitForEvent("download"), page.click(button)]);
    await download.saveAs(`${OUT}${name}`);
    return readFileSync(`${OUT}${name}`);
  };
  for (const [button, name] of [
    ["#downloadSame", "page-phone-out.jpg"],
    ["#downloadPng", "page-phone-out.png"],
  ]) {
    const out = await saved(button, name),
      img = readImagePlanes(`${OUT}${name}`),
      back = await readMetadata(out);
    assert.deepEqual([img.width, img.height], [48, 64], `${name}: not upright`);
    assert.deepEqual(back.exif, uprightExif(md.exif), `${name}: EXIF not carried with orientation 1`);
    assert.deepEqual(back.icc, new Uint8Array(md.icc), `${name}: ICC profile not carried`);
    assert.deepEqual(back.xmp, new Uint8Array(md.xmp), `${name}: XMP not carried`);
  }
  await page.check("#stripMetadata");
  try {
    assert.deepEqual(
      await readMetadata(await saved("#downloadPng", "page-phone-bare.png")),
      {},
      "stripped PNG kept some",
    );
    const bare = await readMetadata(await saved("#downloadSame", "page-phone-bare.jpg")); // Chromium's encoder adds its sRGB profile
    assert.deepEqual(
      [bare.exif, bare.xmp, bare.icc?.length === md.icc.length],
      [undefined, undefined, false],
      "stripped JPEG kept some",
    );
  } finally {
    await page.uncheck("#stripMetadata");
  }
  console.log(
    "# page downloads of a phone JPEG: upright, EXIF (orientation 1), XMP and ICC kept in JPEG and PNG; stripped on request",
  );
});

test("photos: a failed upload shows a red error, leaves nothing stale on screen, and the next success clears it", {
  skip,
}, async () => {
  await page.setInputFiles("#photos", {
    name: "broken.png",
    mimeType: "image/png",
    buffer: Buffer.from("not an image at all"),
  });
  await page.waitForFunction(() => !document.getElementById("error")!.hidden);
  assert.match((await page.textContent("#error"))!, /broken\.png: the browser cannot decode it/);
  assert.equal(await page.$eval("#error", (e) => getComputedStyle(e).color), "rgb(187, 0, 0)");
  assert.equal(await page.isHidden("#viewer"), true, "the previous image is still shown");
  assert.equal(await inPage((h) => h.app.photos.result === undefined && h.app.photos.current === undefined), true);
  assert.equal((await page.textContent("#photoName"))!.trim(), "broken.png");
  assert.equal(await page.isDisabled("#downloadPng"), true);
  await page.selectOption("#photoList", { index: 0 });
  await photoResult("page-colour.png");
  assert.equal(await page.isHidden("#error"), true, "the error stayed after a success");
  // The page logs errors it shows; this one was meant.
  const meant = consoleErrors.filter((e) => /broken\.png/.test(e));
  assert.equal(meant.length, 1);
  consoleErrors.splice(consoleErrors.indexOf(meant[0]), 1);
});

test("photos: the noise σ control reads 'estimated' or its value; Denoise with no photo and a non-image file each say so", {
  skip,
}, async () => {
  // σ estimated: the slider is off and shows no number; set: it shows its value.
  assert.equal(await page.isChecked("#sigmaAuto"), true);
  assert.equal(await page.isDisabled("#sigma"), true);
  assert.equal((await page.textContent("#sigmaValue"))!.trim(), "");
  await page.uncheck("#sigmaAuto");
  assert.equal(await page.isDisabled("#sigma"), false);
  assert.equal((await page.textContent("#sigmaValue"))!.trim(), await page.inputValue("#sigma"));
  await page.check("#sigmaAuto");
  assert.equal((await page.textContent("#sigmaValue"))!.trim(), "");

  await inPage((h) => h.app.photos.clearPhotos());
  await page.click("#denoise");
  await page.waitForFunction(() => !document.getElementById("error")!.hidden);
  assert.match((await page.textContent("#error"))!, /^no photo to denoise: drop or choose one first$/);
  await page.setInputFiles("#photos", { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("hello") });
  await page.waitForFunction(() => /notes\.txt/.test(document.getElementById("error")!.textContent ?? ""));
  assert.match((await page.textContent("#error"))!, /^notes\.txt: not an image file$/);
  assert.equal(await inPage((h) => h.app.photos.files.length), 0);
  // The page logs errors it shows; these were meant.
  for (const re of [/no photo to denoise/, /notes\.txt/]) {
    const i = consoleErrors.findIndex((e) => re.test(e));
    if (i >= 0) consoleErrors.splice(i, 1);
  }
});

test("photos: a 12 MP JPEG denoises in the photo Worker on all threads (progress, cancel), the page responsive", {
  skip,
}, async () => {
  // 4000 × 3000, encoded by jpeg-js: a test photo enlarged (nearest) with a fixed dither so the JPEG is
  // not flat; gray (camera.png) unless PAGE_12MP_COLOUR=1 (astronaut.png: three planes, three times the work).
  const colour = process.env.PAGE_12MP_COLOUR === "1";
  const src = readImagePlanes(`${TEST_PHOTOS}${colour ? "astronaut" : "camera"}.png`),
    W = 4000,
    H = 3000,
    rgba = new Uint8Array(4 * W * H);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const i = Math.floor((y * src.height) / H) * src.width + Math.floor((x * src.width) / W),
        o = 4 * (y * W + x),
        n = ((x * 7919 + y * 104729) % 23) - 11;
      for (let c = 0; c < 3; c++)
        rgba[o + c] = Math.max(0, Math.min(255, Math.round(src.planes[src.planes.length === 3 ? c : 0][i] * 255) + n));
      rgba[o + 3] = 255;
    }
  const big = {
    name: "big-12mp.jpg",
    mimeType: "image/jpeg",
    buffer: Buffer.from(jpeg.encode({ width: W, height: H, data: rgba }, 90).data),
  };
  const all = await allThreads();
  const counts = (process.env.PAGE_12MP_THREADS ?? String(all)).split(",").map(Number);
  await inPage((h) => h.app.photos.clearPhotos());
  for (const threads of counts) {
    await page.selectOption("#threads", String(threads));
    const t0 = Date.now();
    await page.setInputFiles("#photos", big);
    // Meanwhile the page answers (the work is in Workers) and the bar moves.
    await page.waitForFunction(
      () => (document.getElementById("photoProgress") as HTMLProgressElement).value > 0,
      null,
      { timeout: 120_000 },
    );
    const lag = Date.now();
    await page.evaluate(() => 1);
    const roundTrip = Date.now() - lag;
    const r = await photoResult(big.name, 900_000);
    assert.ok(r, `no result: ${await page.textContent("#error")}`);
    const wall = (Date.now() - t0) / 1000;
    console.log(
      `# 12 MP ${colour ? "colour" : "gray"} JPEG (4000×3000) in Chromium, ${r.build} build, ${r.threads} thread(s): ${r.seconds.toFixed(1)} s denoising (${(12 / r.seconds).toFixed(2)} MP/s), ${wall.toFixed(1)} s from upload to result; wasm memory ${(r.memoryBytes / 2 ** 20).toFixed(0)} MiB; page round trip ${roundTrip} ms during it`,
    );
    assert.equal(r.threads, threads);
    assert.ok(r.memoryBytes <= 576 * 2 ** 20, `wasm memory ${r.memoryBytes}`);
    assert.ok(roundTrip < 500, `page froze: ${roundTrip} ms`);
    assert.deepEqual(await inPage((h) => [h.app.photos.current.image.width, h.app.photos.current.image.height]), [
      W,
      H,
    ]);
  }
  await page.screenshot({ path: `${OUT}browser-12mp.png` });
  // Cancel: a second run stops when asked; nothing half-done is shown.
  await page.click("#denoise");
  await page.waitForFunction(() => (document.getElementById("photoProgress") as HTMLProgressElement).value > 0, null, {
    timeout: 120_000,
  });
  await page.click("#cancel");
  assert.equal((await page.textContent("#photoStatus"))!.trim(), "cancelled");
  assert.equal(await inPage((h) => h.app.photos.result), undefined);
  assert.equal(await page.isDisabled("#downloadPng"), true);
});

test("photos: memory stays flat over 10 uploads of different sizes", { skip }, async () => {
  const sizes = [
    [640, 480],
    [97, 803],
    [900, 600],
    [333, 333],
    [800, 520],
    [50, 60],
    [600, 900],
    [512, 512],
    [256, 700],
    [880, 640],
  ];
  const photo = readImagePlanes(`${TEST_PHOTOS}coffee.png`),
    gray = readImagePlanes(`${TEST_PHOTOS}camera.png`);
  await inPage((h) => h.app.photos.clearPhotos());
  const heap: number[] = [],
    wasm: number[] = [];
  for (const [k, [w, hgt]] of sizes.entries()) {
    const name = `size-${k}.png`;
    await page.setInputFiles("#photos", {
      name,
      mimeType: "image/png",
      buffer: encodePngPlanes(crop(k % 3 ? gray : photo, w, hgt, 13 * k, 7 * k)),
    });
    const r = await photoResult(name);
    assert.ok(r, `no result: ${await page.textContent("#error")}`);
    wasm.push(r.memoryBytes);
    heap.push(
      await page.evaluate(() => {
        (window as any).gc();
        return (performance as any).memory.usedJSHeapSize as number;
      }),
    );
  }
  const mib = (a: number[]) => a.map((b) => (b / 2 ** 20).toFixed(0)).join(" ");
  console.log(`# 10 uploads: page JS heap after each (MiB) ${mib(heap)}; photo Worker wasm memory ${mib(wasm)}`);
  assert.ok(Math.max(...wasm) <= 576 * 2 ** 20, "wasm memory over the budget");
  // Memory follows the largest tile so far (a whole image fits one tile up to ~1 MP): it may grow only
  // on an upload wider, taller or larger than every one before it, never on a smaller one (no leak).
  for (let k = 1; k < sizes.length; k++) {
    const before = sizes.slice(0, k),
      [w, hgt] = sizes[k];
    const larger =
      before.every(([bw]) => w > bw) ||
      before.every(([, bh]) => hgt > bh) ||
      before.every(([bw, bh]) => w * hgt > bw * bh);
    assert.ok(wasm[k] <= wasm[k - 1] || larger, `wasm memory grew on upload ${k} (${w}×${hgt}): ${mib(wasm)}`);
  }
  // The page holds one image (its pixels, the result, two canvases) at a time.
  assert.ok(heap[heap.length - 1] < heap[0] + 24 * 2 ** 20, `JS heap grew: ${mib(heap)}`);
});

const UPLOADS = 50;
test(`photos: ${UPLOADS} uploads of random sizes, twice, in one page session: the photo Worker's allocator back at its start after every image, wasm memory flat on the second pass`, {
  skip,
}, async () => {
  const r = (k: number) => ((k * 2654435761) >>> 0) / 2 ** 32;
  const sizes = Array.from({ length: UPLOADS }, (_, k) => [
    8 + Math.floor(r(2 * k + 1) * 112),
    8 + Math.floor(r(2 * k + 2) * 112),
  ]);
  const photo = readImagePlanes(`${TEST_PHOTOS}coffee.png`),
    gray = readImagePlanes(`${TEST_PHOTOS}camera.png`);
  await inPage((h) => h.app.photos.clearPhotos());
  const tops = new Set<number>(),
    wasm: number[][] = [[], []],
    heap: number[] = [];
  for (const pass of [0, 1]) {
    for (const [k, [w, hgt]] of sizes.entries()) {
      const name = `rand-${pass}-${k}.png`;
      await page.setInputFiles("#photos", {
        name,
        mimeType: "image/png",
        buffer: encodePngPlanes(crop(k % 3 ? gray : photo, w, hgt, 11 * k, 5 * k)),
      });
      const res = await photoResult(name);
      assert.ok(res, `no result for ${w}×${hgt}: ${await page.textContent("#error")}`);
      tops.add(res.heapTop);
      wasm[pass].push(res.memoryBytes);
    }
    heap.push(
      await page.evaluate(() => {
        (window as any).gc();
        return (performance as any).memory.usedJSHeapSize as number;
      }),
    );
  }
  const mb = (b: number) => (b / 2 ** 20).toFixed(1);
  console.log(
    `# page: ${2 * UPLOADS} photo uploads of 8–119 px sides: allocator top after each ${[...tops].join(", ")} (byte address); ` +
      `photo Worker wasm ${mb(Math.max(...wasm[0]))} MiB (first pass) → ${mb(Math.max(...wasm[1]))} MiB (second); page JS heap ${mb(heap[0])} → ${mb(heap[1])} MiB`,
  );
  assert.equal(tops.size, 1, "the photo Worker's allocator did not come back to the same top after every image");
  assert.equal(Math.max(...wasm[1]), Math.max(...wasm[0]), "wasm memory grew on a second pass over the same sizes");
  assert.ok(
    Math.abs(heap[1] - heap[0]) < 4 * 2 ** 20,
    `page JS heap moved by ${mb(heap[1] - heap[0])} MB between passes`,
  );
  assert.deepEqual(consoleErrors, []);
});

test("photos: training on 20 photos in the page adopts the weights only if validation improved; reset brings the shipped models back", {
  skip,
}, async () => {
  // 20 photos: windows of the training and test photos, 160 × 128 (colour ones stay colour; training reads luma).
  const filesIn = (dir: string) =>
    readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => dir + d.name);
  const files = [...filesIn(TRAIN_PHOTOS), ...filesIn(TEST_PHOTOS)];
  const photos = Array.from({ length: 20 }, (_, k) => ({
    name: `train-${String(k).padStart(2, "0")}.png`,
    mimeType: "image/png",
    buffer: encodePngPlanes(crop(readImagePlanes(files[k % files.length]), 160, 128, 40 * k, 24 * k)),
  }));
  await inPage((h) => h.app.photos.clearPhotos());
  await page.setInputFiles("#photos", photos);
  await photoResult(photos[0].name);
  await page.selectOption("#trainData", "photos");
  await page.fill("#trainBatch", "8");
  const t0 = Date.now();
  const m = await inPage((h) => h.app.trainFromPage(24));
  const seconds = (Date.now() - t0) / 1000;
  assert.ok(m, `training failed: ${await page.textContent("#error")}`);
  assert.equal(m.type, "done");
  const state = await inPage((h) => ({
    adopted: h.app.photos.weights.photo === h.app.trained,
    shipped: h.app.photos.weights.photo === h.app.photos.shippedPhoto,
  }));
  const status = (await page.textContent("#trainStatus"))!;
  console.log(
    `# photo training, 24 steps of 8 patches in ${seconds.toFixed(1)} s: validation ${m.baseline.toFixed(3)} → ${m.valPsnr.toFixed(3)} dB, ${state.adopted ? "adopted" : "kept the shipped model"} (${status.split(" — ")[1]})`,
  );
  assert.equal(state.adopted, m.valPsnr > m.baseline);
  assert.equal(state.shipped, !state.adopted);
  assert.match((await page.textContent("#valStatus")) ?? "", /validation PSNR: .* dB \(start\) → .* dB \(step 24\)/);

  // The trained weights download and the CLI denoises with them.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
  const file = `${OUT}browser-photo-weights.safetensors`;
  await download.saveAs(file);
  const cli = runCli(
    ["denoise", `${OUT}page-colour.png`, "-o", `${OUT}page-colour-trained.png`, "--weights", file, "--quiet"],
    { nodeArgs: ["--experimental-wasm-relaxed-simd"] },
  );
  assert.equal(cli.code, 0, cli.err);

  await page.click("#reset");
  assert.equal(
    await inPage(
      (h) => h.app.photos.weights.photo === h.app.photos.shippedPhoto && h.app.weights === h.app.shippedDigits,
    ),
    true,
  );
  await page.selectOption("#trainData", "digits");
  await page.screenshot({ path: `${OUT}browser-photos.png`, fullPage: true });
  console.log(`# screenshots: ${OUT}browser-12mp.png, ${OUT}browser-photos.png`);
  assert.deepEqual(consoleErrors, []);
});

for (const threads of [1, 2]) {
  test(`strict build, ${threads} thread(s): N training steps in Chromium's Worker are bit-identical to Node's`, {
    skip,
  }, async () => {
    const steps = 100,
      setup = { noise: "mixed" as const, batch: 16, lr: 1e-3, seed: 7, threads };
    const browserRun = await inPage(
      (h, a) => h.app.train({ ...h.app.setup(), ...a.setup, build: "strict", weights: h.app.freshWeights(5) }, a.steps),
      { setup, steps },
    );
    assert.equal(await inPage((h) => h.app.trainThreads), threads, "the page did not train with the threads asked for");

    const engine = await openNodeEngine({ build: "strict", threads: threads > 1 });
    const pool = threads > 1 ? await nodePool(engine, threads) : undefined;
    try {
      // freshWeights(5) initialised the architecture of the page's (default) weights.
      const defaults = `${PACKAGE_ROOT}data/default.safetensors`;
      const model = new Model(engine, archOf(readSafetensors(defaults), defaults, "seed"), setup.batch, pool);
      model.init(5);
      const images = imagesFromIdx(
        parseIdx(gunzipSync(readFileSync(`${PACKAGE_ROOT}data/digits-train.idx.gz`)), "digits"),
        "digits",
      );
      const trainer = new Trainer(model, images, { ...setup, shuffle: true });
      const losses: number[] = [];
      model.adam.lr = setup.lr;
      for (let i = 0; i < steps; i++) losses.push(trainer.step());
      console.log(
        `# ${threads} thread(s): Node ${weightsDigest(model)} vs Chromium ${browserRun.digest} after ${steps} steps`,
      );
      assert.deepEqual(browserRun.losses, losses, "losses differ");
      assert.equal(browserRun.digest, weightsDigest(model));
    } finally {
      pool?.close();
    }
    assert.deepEqual(consoleErrors, []);
  });
}
