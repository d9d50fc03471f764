// JPEG in as libjpeg-turbo decodes it: small JPEGs made by cjpeg (test/golden/jpeg/make.sh: 4:4:4,
// 4:2:2, 4:2:0, 4:4:0, 4:1:1, gray; baseline, progressive, restart markers; odd sizes) decoded by
// readImagePlanes against djpeg's own decodes of them (committed PPM / PGM), every pixel; jpeg-js
// (the decoder before) measured on the same files for comparison. The asynchronous path the page
// takes gives the same pixels as Node's, and in real Chromium (skipped without it) the page's
// decodeFile gives Node's pixels. Bad files: cut short, a bomb, refused in one line before decoding.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import jpeg from "jpeg-js";
import { chromium } from "playwright-core";
import { decodeJpegWith, JPEG_CODEC_WASM, type JpegCodecFactory, jpegCodecOptions } from "../host/core/jpeg.js";
import { decodeJpegPlanes } from "../host/node/images.js";
import { decodeJpegRgba } from "../host/node/jpeg.js";
import { startServer } from "../tools/server.js";

const DIR = fileURLToPath(new URL("../../test/golden/jpeg/", import.meta.url));
const CASES = readdirSync(DIR)
  .filter((f) => f.endsWith(".jpg"))
  .sort();
/**
 * Most a sample may differ from djpeg's. 4:4:0 differs by up to 2 on odd rows: libjpeg-turbo 2.x
 * (djpeg here) alternates the rounding bias of its vertical 4:4:0 upsampling, the 1.5.x code that
 * MozJPEG's decoder is built from always rounds half down; every other case is bit-exact.
 */
const tolerance = (name: string) => (name.startsWith("s440") ? 2 : 0);

/** A binary PPM (P6) or PGM (P5), 8-bit. */
function pnm(buf: Buffer): { width: number; height: number; channels: number; data: Uint8Array } {
  const m = /^P([56])\s+(\d+)\s+(\d+)\s+255\s/.exec(buf.toString("latin1", 0, 64));
  assert.ok(m, "not an 8-bit binary PPM / PGM");
  return { channels: m[1] === "6" ? 3 : 1, width: +m[2], height: +m[3], data: buf.subarray(m[0].length) };
}

/** Max and mean absolute difference of RGBA samples (8-bit) from a golden PNM's, over its channels. */
function diffRgba(gold: ReturnType<typeof pnm>, rgba: ArrayLike<number>): { max: number; mean: number } {
  let max = 0,
    sum = 0;
  const n = gold.width * gold.height;
  for (let i = 0; i < n; i++)
    for (let c = 0; c < gold.channels; c++) {
      const d = Math.abs(gold.data[i * gold.channels + c] - rgba[4 * i + c]);
      max = Math.max(max, d);
      sum += d;
    }
  return { max, mean: sum / (n * gold.channels) };
}

const golden = (f: string) => pnm(readFileSync(DIR + f.replace(/\.jpg$/, f.startsWith("gray") ? ".pgm" : ".ppm")));

test("readImagePlanes decodes JPEG as libjpeg-turbo's djpeg does: every subsampling, gray, progressive, restarts", () => {
  assert.ok(CASES.length >= 10, `${CASES.length} golden JPEGs`);
  for (const f of CASES) {
    const gold = golden(f),
      img = decodeJpegPlanes(readFileSync(DIR + f), f);
    assert.equal(img.width, gold.width, `${f}: width`);
    assert.equal(img.height, gold.height, `${f}: height`);
    assert.equal(img.planes.length, gold.channels, `${f}: planes`);
    assert.equal(img.alpha, undefined);
    const rgba = new Uint8Array(4 * img.width * img.height);
    for (let i = 0; i < img.width * img.height; i++)
      for (let c = 0; c < 3; c++) rgba[4 * i + c] = Math.round(img.planes[Math.min(c, img.planes.length - 1)][i] * 255);
    const ours = diffRgba(gold, rgba),
      js = jpeg.decode(readFileSync(DIR + f), { useTArray: true, formatAsRGBA: true }),
      old = diffRgba(gold, js.data);
    console.log(
      `# ${f.padEnd(28)} ours vs djpeg max ${ours.max} mean ${ours.mean.toFixed(3)}; jpeg-js vs djpeg max ${old.max} mean ${old.mean.toFixed(3)}`,
    );
    assert.ok(ours.max <= tolerance(f), `${f}: differs from djpeg by up to ${ours.max}`);
  }
});

test("the page's path (asynchronous instantiation) decodes to the same pixels as Node's", async () => {
  const require = createRequire(import.meta.url);
  const factory = ((await import("@jsquash/jpeg/codec/dec/mozjpeg_dec.js")) as unknown as { default: JpegCodecFactory })
    .default;
  const module = await WebAssembly.compile(readFileSync(require.resolve(`@jsquash/jpeg/${JPEG_CODEC_WASM}`)));
  for (const f of CASES) {
    const bytes = readFileSync(DIR + f),
      messages: string[] = [];
    const codec = await factory(jpegCodecOptions(module, false, messages));
    const a = decodeJpegWith(codec, bytes, messages),
      b = decodeJpegRgba(bytes);
    assert.deepEqual([a.width, a.height], [b.width, b.height]);
    assert.ok(Buffer.from(a.data).equals(Buffer.from(b.data)), `${f}: async decode differs`);
  }
});

test("bad JPEGs: cut short, a decompression bomb, no frame: one-line errors, the bomb refused before decoding", () => {
  const good = readFileSync(`${DIR}s420-61x47.jpg`);
  for (const cut of [good.length >> 1, good.length - 20])
    assert.throws(
      () => decodeJpegPlanes(good.subarray(0, cut), "cut.jpg"),
      /cut\.jpg: corrupt JPEG \(Premature end of JPEG file\)/,
    );
  // The same file declaring 8000×8000: refused by the shared core before libjpeg sees it (also the page's path).
  const bomb = Buffer.from(good);
  const sof = bomb.findIndex((v, i) => v === 0xff && (bomb[i + 1] === 0xc0 || bomb[i + 1] === 0xc2));
  bomb.writeUInt16BE(8000, sof + 5);
  bomb.writeUInt16BE(8000, sof + 7);
  const t = performance.now();
  assert.throws(() => decodeJpegRgba(bomb), /JPEG declares 8000×8000 pixels in \d+ bytes .*decompression bomb/);
  assert.throws(() => decodeJpegPlanes(bomb, "bomb.jpg"), /bomb\.jpg: JPEG declares 8000×8000/);
  assert.ok(performance.now() - t < 1000, "the bomb was decoded");
  assert.throws(() => decodeJpegRgba(good.subarray(0, 100)), /corrupt JPEG \(no frame header\)/);
  console.log("# cut short and bomb JPEGs refused in one line");
});

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const noBrowser = existsSync(CHROMIUM) ? false : `${CHROMIUM} not found: page JPEG decode not checked`;
test("the page decodes a JPEG file to Node's pixels (web/files.ts decodeFile, real Chromium)", {
  skip: noBrowser,
}, async () => {
  const { server, url } = await startServer(0);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu"],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`${url}web/index.html`);
    for (const f of CASES) {
      const bytes = readFileSync(DIR + f);
      const got = await page.evaluate(async (b64) => {
        const { decodeFile } = await import("/dist/web/files.js" as string);
        const bin = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
        const d = await decodeFile(new Blob([bin], { type: "image/jpeg" }));
        return { width: d.width, height: d.height, rgba: Array.from(d.rgba as Uint8ClampedArray) };
      }, bytes.toString("base64"));
      const node = decodeJpegRgba(bytes);
      assert.deepEqual([got.width, got.height], [node.width, node.height], f);
      assert.ok(
        Buffer.from(Uint8Array.from(got.rgba)).equals(Buffer.from(node.data)),
        `${f}: the page's pixels differ from Node's`,
      );
    }
    const err = await page.evaluate(async () => {
      const { decodeFile } = await import("/dist/web/files.js" as string);
      return decodeFile(new Blob([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2])])).then(
        () => "decoded",
        (e: Error) => e.message,
      );
    });
    assert.match(err, /^corrupt JPEG \(no frame header\)$/);
    console.log(`# page decodeFile == Node decode on ${CASES.length} JPEGs, bit for bit`);
  } finally {
    await browser.close();
    server.close();
  }
});
