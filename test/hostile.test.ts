// Hostile input through the CLI, as a user would meet it (child processes): damaged IDX data sets,
// damaged or oversized PNGs, JPEG and PNG decompression bombs, truncated JPEGs, TIFF, AVIF and HEIC
// files cut short, filled with garbage, of zero or huge size, or bombs (in the header; TIFF: in a strip), photo folders of
// 10 000 tiny files or with unreadable files, a photo model given to the digits, malformed weights
// files and checkpoints, bad flags, runs that diverge.
// Every case must end with one line on stderr naming the problem, exit ≠ 0, no crash (no signal, no
// stack trace), no output file (not even a partial or temporary one, nor that of a good input before
// the bad one), and a peak RSS under a bound (measured in the child by an --import hook). Valid but
// unusual PNGs (palette, 16-bit, alpha, interlaced, sub-byte) must denoise, each equal to the plain
// 8-bit gray version of the same image; `noise` takes JPEG and colour PNG and writes colour.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import jpeg from "jpeg-js";
import { gzipSync, deflateSync } from "node:zlib";
import { DEFAULT_DATA } from "../host/node/files.js";
import { readIdx, readSafetensors } from "../host/node/files.js";
import { readImagePlanes } from "../host/node/images.js";
import { encodeSafetensors, type Tensor } from "../host/core/safetensors.js";
import { CLI, editSafetensorsHeader, idxFile, makeData, runCli } from "./helpers.js";
import { chunk, craftPng, type CraftOptions } from "./pngcraft.js";

/** Peak RSS a hostile case may reach (MB): Node + the engine + a tiny model peak near 80 MB. */
const RSS_LIMIT_MB = 160;

const tmp = mkdtempSync(join(tmpdir(), "denoise-hostile-"));
const hook = join(tmp, "rss-hook.mjs");
writeFileSync(
  hook,
  `import { writeFileSync } from "node:fs";
process.on("exit", () => { if (process.env.RSS_OUT) writeFileSync(process.env.RSS_OUT, String(process.resourceUsage().maxRSS)); });
`,
);

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  err: string;
  out: string;
  rssMB: number;
}

function runAsync(args: string[], rssFile: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", pathToFileURL(hook).href, CLI, ...args], {
      env: { ...process.env, RSS_OUT: rssFile },
    });
    let out = "",
      err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const rssMB = existsSync(rssFile) ? Number(readFileSync(rssFile, "utf8")) / 1024 : NaN;
      resolve({ code, signal, err, out, rssMB });
    });
  });
}

// ---- fixtures: a tiny data set, weights and a checkpoint trained on it, a digit PNG ----
const data = makeData(join(tmp, "tiny"), 256, 64);
const weights = join(tmp, "w.safetensors"),
  ckpt = join(tmp, "ck.safetensors");
{
  const r = runCli([
    "train",
    "--data",
    data,
    "--epochs",
    "1",
    "--batch",
    "32",
    "--out",
    weights,
    "--checkpoint",
    ckpt,
    "--quiet",
    "--build",
    "strict",
  ]);
  assert.equal(r.code, 0, r.err);
}
const digitPixels = readIdx(join(DEFAULT_DATA, "t10k-images-idx3-ubyte")).data.subarray(0, 784);
const digit = join(tmp, "digit.png");
writeFileSync(
  digit,
  craftPng({ width: 28, height: 28, colorType: 0, bitDepth: 8 }, (x, y) => [digitPixels[y * 28 + x]]),
);

const dir = (name: string) => {
  const d = join(tmp, "cases", name);
  mkdirSync(d, { recursive: true });
  return d;
};
const file = (name: string, bytes: Uint8Array | string) => {
  const p = join(tmp, "cases", name);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, bytes);
  return p;
};
/** A data directory whose training images file holds `bytes` (test images stay good). */
function dataWith(name: string, bytes: Uint8Array | undefined, fileName = "train-images-idx3-ubyte"): string {
  const d = dir(name);
  cpSync(join(data, "t10k-images-idx3-ubyte"), join(d, "t10k-images-idx3-ubyte"));
  if (bytes) writeFileSync(join(d, fileName), bytes);
  return d;
}
const trainImages = readFileSync(join(data, "train-images-idx3-ubyte"));
const setDims = (dims: number[], body: Uint8Array = trainImages.subarray(16)) => idxFile(dims, body);

// PNGs
const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const ihdr = (w: number, h: number, depth = 8, color = 0, interlace = 0) => {
  const b = Buffer.alloc(13);
  b.writeUInt32BE(w, 0);
  b.writeUInt32BE(h, 4);
  b[8] = depth;
  b[9] = color;
  b[12] = interlace;
  return chunk("IHDR", b);
};
const iend = chunk("IEND", Buffer.alloc(0));
const good = readFileSync(digit);
const idatAt = 33; // the crafted files: signature, IHDR (25 bytes), then IDAT
const badCrc = Buffer.from(good);
badCrc[idatAt + 8 + 3] ^= 0xff; // flip a data byte: CRC no longer matches
const zeros = (w: number, h: number) => deflateSync(Buffer.alloc((w + 1) * h));

// safetensors
const wBytes = readFileSync(weights),
  ckBytes = readFileSync(ckpt);
const lenOnly = (n: bigint, total = 64) => {
  const b = Buffer.alloc(total);
  b.writeBigUInt64LE(n);
  return b;
};
const rawHeader = (h: unknown, body = Buffer.alloc(64)) => {
  const j = Buffer.from(JSON.stringify(h)),
    len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(j.length));
  return Buffer.concat([len, j, body]);
};
const st = readSafetensors(weights);
/** The trained weights with every parameter replaced by f(name, data). */
function weightsWith(
  f: (name: string, d: Float32Array) => Float32Array | undefined,
  meta = st.metadata,
  extra: [string, Tensor][] = [],
): Uint8Array {
  const t = new Map<string, Tensor>(extra);
  for (const [k, v] of st.tensors) {
    if (k.startsWith("optimizer.")) continue;
    const d = f(k, v.data.slice());
    if (d) t.set(k, { shape: v.shape, data: d });
  }
  return encodeSafetensors(t, meta);
}
const metaNoAdam = Object.fromEntries(Object.entries(st.metadata).filter(([k]) => !k.startsWith("optimizer.")));
const ckMeta = (edit: (m: Record<string, string>) => void) =>
  editSafetensorsHeader(ckBytes, (h) => edit(h.__metadata__));

// JPEGs: a small good one, and the same with the frame header's size changed (nothing else)
const goodJpeg = Buffer.from(
  jpeg.encode(
    {
      width: 64,
      height: 48,
      data: Uint8Array.from({ length: 4 * 64 * 48 }, (_, i) => (i % 4 === 3 ? 255 : (i >> 2) * 7)),
    },
    90,
  ).data,
);
function jpegSized(w: number, h: number): Buffer {
  const b = Buffer.from(goodJpeg);
  for (let at = 2; at < b.length; at += 2 + b.readUInt16BE(at + 2)) {
    if (b[at + 1] === 0xc0) {
      b.writeUInt16BE(h, at + 5);
      b.writeUInt16BE(w, at + 7);
      return b;
    }
  }
  throw new Error("no SOF0");
}
const PHOTO_WEIGHTS = fileURLToPath(new URL("../../data/photo.safetensors", import.meta.url));
/** 10 000 files of 4×4 pixels. */
const tinyFolder = (() => {
  const d = dir("many-tiny"),
    png = craftPng({ width: 4, height: 4, colorType: 0, bitDepth: 8 }, (x, y) => [x * y]);
  for (let i = 0; i < 10000; i++) writeFileSync(join(d, `t${String(i).padStart(5, "0")}.png`), png);
  return d;
})();
/** Good photos with unreadable ones among them: a truncated JPEG, a JPEG bomb, a PNG cut short, a .png that is text. */
const mixedFolder = (() => {
  const d = dir("mixed");
  for (const k of [0, 1, 2])
    writeFileSync(
      join(d, `a-good${k}.png`),
      craftPng({ width: 64 + 8 * k, height: 56, colorType: 0, bitDepth: 8 }, (x, y) => [
        (x * 5 + y * 3 + 40 * k) % 256,
      ]),
    );
  writeFileSync(join(d, "b-good.jpg"), goodJpeg);
  writeFileSync(join(d, "c-truncated.jpg"), goodJpeg.subarray(0, goodJpeg.length >> 1));
  writeFileSync(join(d, "d-bomb.jpg"), jpegSized(8000, 8000));
  const png = craftPng({ width: 64, height: 64, colorType: 0, bitDepth: 8 }, (x, y) => [(x ^ y) & 255]);
  writeFileSync(join(d, "e-cut.png"), png.subarray(0, png.length - 30));
  writeFileSync(join(d, "f-text.png"), "not a png at all");
  return d;
})();

const o = join(tmp, "cases", "out.safetensors"),
  p = join(tmp, "cases", "out.png"),
  res = join(tmp, "cases", "results");
const T = (...a: string[]) => ["train", "--out", o, "--quiet", "--build", "strict", ...a];
const D = (...a: string[]) => ["denoise", ...a, "-o", p, "--weights", weights, "--quiet"];

interface Case {
  kind: string;
  args: string[];
  re: RegExp;
  outputs?: string[];
}
const cases: Case[] = [
  // IDX
  {
    kind: "idx",
    args: T("--data", dataWith("truncated", trainImages.subarray(0, 5000))),
    re: /truncated IDX file: dimensions 256×28×28 need 200720 bytes, file has 5000/,
  },
  {
    kind: "idx",
    args: T("--data", dataWith("trunc-header", trainImages.subarray(0, 10))),
    re: /truncated IDX header \(10 of 16 bytes\)/,
  },
  {
    kind: "idx",
    args: T("--data", dataWith("magic", Buffer.concat([Buffer.from("GIF8"), trainImages.subarray(4)]))),
    re: /not an IDX file \(magic 47 49 46 38/,
  },
  {
    kind: "idx",
    args: T("--data", dataWith("f32", idxFile([2, 28, 28], Buffer.alloc(2 * 784 * 4), 0x0d))),
    re: /IDX data type f32 is not supported/,
  },
  {
    kind: "idx",
    args: T("--data", dataWith("i16", idxFile([2, 28, 28], Buffer.alloc(2 * 784 * 2), 0x0b))),
    re: /IDX data type i16 is not supported/,
  },
  {
    kind: "idx",
    args: T("--data", dataWith("dtype", idxFile([2, 28, 28], Buffer.alloc(1568), 0x42))),
    re: /unknown data type 0x42/,
  },
  {
    kind: "idx",
    args: T("--data", dataWith("gigabytes", setDims([100000, 1000, 1000], Buffer.alloc(100)))),
    re: /claim 100000000000 bytes \(limit 1073741824\)/,
  },
  {
    kind: "idx",
    args: T("--data", dataWith("4g-dims", setDims([0xffffffff, 28, 28], Buffer.alloc(100)))),
    re: /IDX dimensions 4294967295×28×28 claim/,
  },
  {
    kind: "idx",
    args: T(
      "--data",
      dataWith("gz-gigabytes", gzipSync(setDims([60000000, 28, 28], Buffer.alloc(100))), "train-images-idx3-ubyte.gz"),
    ),
    re: /claim 47040000000 bytes/,
  },
  {
    kind: "idx",
    args: T("--data", dataWith("not-gzip", Buffer.from("this is not gzip"), "train-images-idx3-ubyte.gz")),
    re: /not a valid gzip file/,
  },
  { kind: "idx", args: T("--data", dataWith("empty", Buffer.alloc(0))), re: /not an IDX file \(0 bytes/ },
  {
    kind: "idx",
    args: T("--data", dataWith("labels", idxFile([256], Buffer.alloc(256)))),
    re: /has 3 dimensions \(count, rows, cols\), this one has 1/,
  },
  {
    kind: "idx",
    args: T("--data", dataWith("zero-count", idxFile([0, 28, 28], Buffer.alloc(0)))),
    re: /empty image set \(0×28×28\)/,
  },
  {
    kind: "idx",
    args: T("--data", dataWith("trailing", Buffer.concat([trainImages, Buffer.alloc(7)]))),
    re: /7 bytes after the data/,
  },
  {
    kind: "idx",
    args: T("--data", dataWith("32x32", idxFile([4, 32, 32], Buffer.alloc(4096)))),
    re: /images are 32×32, architecture seed takes 28×28/,
  },
  {
    kind: "idx",
    args: T("--data", dataWith("missing", undefined)),
    re: /no train-images-idx3-ubyte \(or train-images-idx3-ubyte.gz\) in the data directory/,
  },
  { kind: "idx", args: T("--data", file("a-file", "x")), re: /data directory does not exist/ },
  // PNG
  {
    kind: "png",
    args: D(file("text.png", "I am text, not an image\n")),
    re: /not a PNG, JPEG, WebP, TIFF, AVIF or HEIC file/,
    outputs: [p],
  },
  {
    kind: "png",
    args: D(file("crc.png", badCrc)),
    re: /corrupt PNG \(CRC error in the IDAT chunk at byte 33\)/,
    outputs: [p],
  },
  {
    kind: "png",
    args: D(
      file("zlib.png", Buffer.concat([sig, ihdr(28, 28), chunk("IDAT", Buffer.from("definitely not zlib")), iend])),
    ),
    re: /corrupt PNG \(image data is not a valid zlib stream/,
    outputs: [p],
  },
  {
    kind: "png",
    args: D(file("short.png", Buffer.concat([sig, ihdr(28, 28), chunk("IDAT", deflateSync(Buffer.alloc(100))), iend]))),
    re: /image data inflates to 100 bytes, the header needs 812/,
    outputs: [p],
  },
  {
    kind: "png",
    args: D(file("no-idat.png", Buffer.concat([sig, ihdr(28, 28), iend]))),
    re: /corrupt PNG \(no IDAT chunk\)/,
    outputs: [p],
  },
  {
    kind: "png",
    args: D(file("cut.png", good.subarray(0, good.length - 20))),
    re: /corrupt PNG \(.*(cut off|past the end)/,
    outputs: [p],
  },
  {
    kind: "png",
    args: D(
      file(
        "chunk-len.png",
        (() => {
          const b = Buffer.from(good);
          b.writeUInt32BE(0x7fffffff, idatAt);
          return b;
        })(),
      ),
    ),
    re: /IDAT chunk at byte 33 claims 2147483647 bytes, past the end of the file/,
    outputs: [p],
  },
  {
    kind: "png",
    args: D(file("huge.png", Buffer.concat([sig, ihdr(100000, 100000), chunk("IDAT", zeros(1, 1)), iend]))),
    re: /100000×100000 pixels, over the 67108864-pixel limit/,
    outputs: [p],
  },
  // Any size denoises in tiles now (a 5000 × 5000 image is legitimate); tiles too small for the network's receptive field are refused.
  {
    kind: "png",
    args: [
      ...D(
        file(
          "plain100.png",
          craftPng({ width: 100, height: 100, colorType: 0, bitDepth: 8 }, (x) => [x]),
        ),
      ),
      "--tile",
      "20",
    ],
    re: /tiles of 20 pixels are too small for this network: its receptive field needs a halo of \d+ pixels/,
    outputs: [p],
  },
  {
    kind: "png",
    args: D(file("zero-width.png", Buffer.concat([sig, ihdr(0, 28), chunk("IDAT", zeros(1, 1)), iend]))),
    re: /IHDR says 0×28 pixels/,
    outputs: [p],
  },
  {
    kind: "png",
    args: D(file("bad-depth.png", Buffer.concat([sig, ihdr(28, 28, 4, 2), chunk("IDAT", zeros(42, 28)), iend]))),
    re: /bit depth 4 is not allowed for colour type 2/,
    outputs: [p],
  },
  {
    kind: "png",
    args: D(file("no-plte.png", Buffer.concat([sig, ihdr(28, 28, 8, 3), chunk("IDAT", zeros(28, 28)), iend]))),
    re: /palette image without a PLTE chunk/,
    outputs: [p],
  },
  {
    kind: "png",
    args: D(
      file(
        "pal-index.png",
        craftPng(
          {
            width: 8,
            height: 8,
            colorType: 3,
            bitDepth: 8,
            palette: [
              [0, 0, 0],
              [255, 255, 255],
            ],
          },
          () => [7],
        ),
      ),
    ),
    re: /index 7 not in palette/,
    outputs: [p],
  },
  {
    kind: "png",
    args: D(file("interlace-7.png", Buffer.concat([sig, ihdr(28, 28, 8, 0, 7), chunk("IDAT", zeros(28, 28)), iend]))),
    re: /interlace method 7 does not exist/,
    outputs: [p],
  },
  {
    kind: "png",
    args: D(
      file("filter-9.png", Buffer.concat([sig, ihdr(4, 4), chunk("IDAT", deflateSync(Buffer.alloc(20, 9))), iend])),
    ),
    re: /Unrecognised filter type - 9/,
    outputs: [p],
  },
  {
    kind: "png",
    args: D(file("no-ihdr.png", Buffer.concat([sig, chunk("IDAT", zeros(4, 4)), ihdr(4, 4), iend]))),
    re: /first chunk is not IHDR/,
    outputs: [p],
  },
  {
    kind: "png",
    // a folder input: its first damaged image is named before any output is written
    args: ["denoise", digit, join(tmp, "cases"), "-o", dir("many-out")],
    re: /cases\/[^:]+\.(png|jpe?g): /i,
    outputs: [join(tmp, "cases", "many-out", "digit.png")],
  },
  // JPEG and PNG decompression bombs (huge declared sizes in small files), truncated JPEGs
  {
    kind: "bomb",
    args: D(file("bomb-65000.jpg", jpegSized(65000, 65000))),
    re: /JPEG is 65000×65000 pixels, over the 67108864-pixel limit/,
    outputs: [p],
  },
  {
    kind: "bomb",
    args: D(file("bomb-8000.jpg", jpegSized(8000, 8000))),
    re: /JPEG declares 8000×8000 pixels in \d+ bytes \(over 1024 a byte\): truncated, or a decompression bomb/,
    outputs: [p],
  },
  {
    kind: "bomb",
    args: D(file("bomb-100000.png", Buffer.concat([sig, ihdr(100000, 100000), chunk("IDAT", zeros(100, 100)), iend]))),
    re: /PNG is 100000×100000 pixels, over the 67108864-pixel limit/,
    outputs: [p],
  },
  {
    kind: "bomb",
    args: D(file("bomb-8000.png", Buffer.concat([sig, ihdr(8000, 8000, 8, 2), chunk("IDAT", zeros(24000, 40)), iend]))),
    re: /image data inflates to \d+ bytes, the header needs 192008000/,
    outputs: [p],
  },
  {
    kind: "bomb",
    args: D(file("truncated.jpg", goodJpeg.subarray(0, goodJpeg.length >> 1))),
    re: /truncated\.jpg: corrupt JPEG/,
    outputs: [p],
  },
  {
    kind: "bomb",
    args: D(file("truncated-head.jpg", goodJpeg.subarray(0, 40))),
    re: /truncated-head\.jpg: corrupt JPEG \(no frame header\)/,
    outputs: [p],
  },
  {
    kind: "bomb",
    args: [
      "denoise",
      digit,
      file("truncated-2.jpg", goodJpeg.subarray(0, goodJpeg.length - 200)),
      "-o",
      dir("two-out"),
      "--weights",
      weights,
      "--quiet",
    ],
    re: /truncated-2\.jpg: corrupt JPEG/,
    outputs: [join(tmp, "cases", "two-out", "digit.png")],
  },
  // several inputs, the last one bad: refused from its header before the model loads, or when its data is decoded after the first was denoised; either way no output of the first
  {
    kind: "png",
    args: [
      "denoise",
      digit,
      file("later-depth.png", Buffer.concat([sig, ihdr(28, 28, 4, 2), chunk("IDAT", zeros(42, 28)), iend])),
      "-o",
      dir("later-out"),
      "--weights",
      weights,
      "--quiet",
    ],
    re: /later-depth\.png: corrupt PNG \(bit depth 4 is not allowed for colour type 2\)$/m,
    outputs: [join(tmp, "cases", "later-out", "digit.png")],
  },
  {
    kind: "png",
    args: ["denoise", digit, file("later-crc.png", badCrc), "-o", dir("later-out"), "--weights", weights, "--quiet"],
    re: /later-crc\.png: corrupt PNG \(CRC error in the IDAT chunk at byte 33\)/,
    outputs: [join(tmp, "cases", "later-out", "digit.png")],
  },
  {
    kind: "png",
    args: ["denoise", digit, file("later/digit.png", good), "-o", dir("twin-out"), "--weights", weights, "--quiet"],
    re: /digit\.png and .*later[/\\]digit\.png would both be written to .*twin-out[/\\]digit\.png/,
    outputs: [join(tmp, "cases", "twin-out", "digit.png")],
  },
  {
    kind: "bomb",
    args: ["noise", file("noise-bomb.jpg", jpegSized(8000, 8000)), "-o", p, "--noise", "gaussian"],
    re: /noise-bomb\.jpg: JPEG declares 8000×8000 pixels/,
    outputs: [p],
  },
  // photo folders: 10 000 tiny files; an unreadable file where every photo must be read (eval refuses)
  {
    kind: "photos",
    args: T("--images", tinyFolder),
    re: /many-tiny: no usable PNG or JPEG photos \(10000 skipped: .*is smaller than 48×48, …\)/,
  },
  {
    kind: "photos",
    args: ["eval", "--images", mixedFolder, "--weights", PHOTO_WEIGHTS, "--baselines", "off", "--quiet"],
    re: /mixed[/\\]c-truncated\.jpg: corrupt JPEG/,
  },
  // a photo model given to the digits
  {
    kind: "model",
    args: ["eval", "--data", data, "--weights", PHOTO_WEIGHTS, "--quiet"],
    re: /images are 28×28, architecture cunet32 takes \d channels of \d+×\d+/,
  },
  {
    kind: "model",
    args: T("--data", data, "--init", PHOTO_WEIGHTS),
    re: /images are 28×28, architecture cunet32 takes \d channels of \d+×\d+/,
  },
  // safetensors (weights)
  {
    kind: "safetensors",
    args: D(digit).map((a) => (a === weights ? file("past-end.safetensors", lenOnly(1000n)) : a)),
    re: /header length 1000 runs past the end of the file \(64 bytes\)/,
    outputs: [p],
  },
  {
    kind: "safetensors",
    args: ["eval", "--data", data, "--weights", file("huge-header.safetensors", lenOnly(2n ** 40n))],
    re: /header length 1099511627776 is over the 104857600-byte limit/,
  },
  {
    kind: "safetensors",
    args: [
      "eval",
      "--data",
      data,
      "--weights",
      file("not-json.safetensors", Buffer.concat([lenOnly(8n, 8), Buffer.from("{not json")])),
    ],
    re: /header is not valid JSON/,
  },
  {
    kind: "safetensors",
    args: ["eval", "--data", data, "--weights", file("tiny.safetensors", Buffer.alloc(3))],
    re: /not a safetensors file \(3 bytes\)/,
  },
  {
    kind: "safetensors",
    args: [
      "eval",
      "--data",
      data,
      "--weights",
      file(
        "overlap.safetensors",
        rawHeader({
          a: { dtype: "F32", shape: [4], data_offsets: [0, 16] },
          b: { dtype: "F32", shape: [4], data_offsets: [8, 24] },
        }),
      ),
    ],
    re: /tensors 'a' and 'b' overlap/,
  },
  {
    kind: "safetensors",
    args: [
      "eval",
      "--data",
      data,
      "--weights",
      file("range.safetensors", rawHeader({ a: { dtype: "F32", shape: [100], data_offsets: [0, 400] } })),
    ],
    re: /data \[0, 400\) is out of range \(64 data bytes\)/,
  },
  {
    kind: "safetensors",
    args: [
      "eval",
      "--data",
      data,
      "--weights",
      file("size.safetensors", rawHeader({ a: { dtype: "F32", shape: [2, 3], data_offsets: [0, 16] } })),
    ],
    re: /needs 24 bytes, data_offsets give 16/,
  },
  {
    kind: "safetensors",
    args: [
      "eval",
      "--data",
      data,
      "--weights",
      file("dtype.safetensors", rawHeader({ a: { dtype: "I64", shape: [2], data_offsets: [0, 16] } })),
    ],
    re: /dtype I64; only F32, F64, F16 and BF16 are read/,
  },
  {
    kind: "safetensors",
    args: D(digit).map((a) =>
      a === weights
        ? file(
            "missing-t.safetensors",
            weightsWith((k, d) => (k === "decoder.2.bias" ? undefined : d), metaNoAdam),
          )
        : a,
    ),
    re: /missing tensor 'decoder.2.bias' \(architecture seed needs 16\)/,
    outputs: [p],
  },
  {
    kind: "safetensors",
    args: D(digit).map((a) =>
      a === weights
        ? file(
            "extra-t.safetensors",
            weightsWith((_, d) => d, metaNoAdam, [["encoder.9.weight", { shape: [2], data: Float32Array.of(1, 2) }]]),
          )
        : a,
    ),
    re: /unexpected tensor 'encoder.9.weight'/,
    outputs: [p],
  },
  {
    kind: "safetensors",
    args: D(digit).map((a) =>
      a === weights
        ? file(
            "shape-t.safetensors",
            editSafetensorsHeader(wBytes, (h) => {
              h["encoder.2.weight"].shape = [32, 16, 9, 1];
            }),
          )
        : a,
    ),
    re: /'encoder.2.weight' has shape 32×16×9×1, architecture seed needs 32×16×3×3/,
    outputs: [p],
  },
  {
    kind: "safetensors",
    args: D(digit).map((a) =>
      a === weights
        ? file(
            "nan.safetensors",
            weightsWith((k, d) => {
              if (k === "encoder.4.weight") d[5] = NaN;
              return d;
            }, metaNoAdam),
          )
        : a,
    ),
    re: /tensor 'encoder.4.weight' holds a non-finite value \(NaN\) at index 5/,
    outputs: [p],
  },
  {
    kind: "safetensors",
    args: [
      "eval",
      "--data",
      data,
      "--weights",
      file(
        "arch-json.safetensors",
        editSafetensorsHeader(wBytes, (h) => {
          h.__metadata__.arch_json = "[1, 2, 3]";
        }),
      ),
    ],
    re: /arch_json is not an architecture/,
  },
  {
    kind: "safetensors",
    args: [
      "eval",
      "--data",
      data,
      "--weights",
      file(
        "arch-bad.safetensors",
        editSafetensorsHeader(wBytes, (h) => {
          const a = JSON.parse(h.__metadata__.arch_json);
          a.layers[0].kernel = 99;
          h.__metadata__.arch_json = JSON.stringify(a);
        }),
      ),
    ],
    re: /architecture "seed" is invalid: .*kernel 99×99 larger than padded input 28×28/,
  },
  {
    kind: "safetensors",
    args: [
      "eval",
      "--data",
      data,
      "--weights",
      file(
        "arch-params.safetensors",
        editSafetensorsHeader(wBytes, (h) => {
          const a = JSON.parse(h.__metadata__.arch_json);
          a.layers[4].out = 1e6;
          a.layers[5].out = 1e6;
          h.__metadata__.arch_json = JSON.stringify(a);
        }),
      ),
    ],
    re: /parameters \(limit 67108864\)/,
  },
  {
    kind: "safetensors",
    args: [
      "eval",
      "--data",
      data,
      "--weights",
      file(
        "arch-input.safetensors",
        editSafetensorsHeader(wBytes, (h) => {
          const a = JSON.parse(h.__metadata__.arch_json);
          a.input = [1, 28000, 28000];
          h.__metadata__.arch_json = JSON.stringify(a);
        }),
      ),
    ],
    re: /images are 28×28, architecture seed takes 28000×28000/,
  },
  {
    kind: "flags",
    args: T("--data", data, "--arch", "unet32", "--batch", "4096"),
    re: /--batch 4096 would need \d+\.\d+ GiB of wasm memory with architecture unet32/,
  },
  {
    kind: "safetensors",
    args: [
      "eval",
      "--data",
      data,
      "--weights",
      file(
        "arch-name.safetensors",
        editSafetensorsHeader(wBytes, (h) => {
          delete h.__metadata__.arch_json;
          h.__metadata__.arch = "resnet-9000";
        }),
      ),
    ],
    re: /unknown architecture 'resnet-9000'/,
  },
  // checkpoints and --resume
  { kind: "checkpoint", args: T("--resume", weights), re: /not a checkpoint \(no trainer state in its metadata\)/ },
  {
    kind: "checkpoint",
    args: T("--resume", ckpt, "--data", makeData(dir("other-size"), 128, 16)),
    re: /checkpoint was trained on 256 images of 28×28, .* gives 128 of 28×28/,
  },
  {
    kind: "checkpoint",
    args: T(
      "--resume",
      ckpt,
      "--data",
      (() => {
        const d = makeData(dir("other-pixels"), 256, 16);
        const f = join(d, "train-images-idx3-ubyte");
        const b = readFileSync(f);
        b[5000] ^= 1;
        writeFileSync(f, b);
        return d;
      })(),
    ),
    re: /checkpoint was trained on other images \(hash [0-9a-f]{8}\)/,
  },
  {
    kind: "checkpoint",
    args: T(
      "--resume",
      file(
        "other-arch.ckpt.safetensors",
        ckMeta((m) => {
          const a = JSON.parse(m.arch_json);
          a.layers[0].out = 8;
          m.arch_json = JSON.stringify(a);
        }),
      ),
      "--data",
      data,
    ),
    re: /tensor 'encoder.0.weight' has shape 16×1×3×3, architecture seed needs 8×1×3×3/,
  },
  {
    kind: "checkpoint",
    args: T("--resume", ckpt, "--arch", "unet16"),
    re: /--arch unet16 differs from the checkpoint's arch seed/,
  },
  {
    kind: "checkpoint",
    args: T("--resume", ckpt, "--lr", "0.01"),
    re: /--lr 0.01 differs from the checkpoint's lr 0.001: a resumed run keeps its options/,
  },
  { kind: "checkpoint", args: T("--resume", ckpt, "--init", weights), re: /--init and --resume exclude each other/ },
  {
    kind: "checkpoint",
    args: T("--resume", ckpt),
    re: /the checkpoint's data folder '[^']+' is not here \(checkpoints record names, not paths\): give it with --data <dir>/,
  },
  {
    kind: "checkpoint",
    args: T(
      "--resume",
      file(
        "order.ckpt.safetensors",
        ckMeta((m) => {
          m["checkpoint.order"] = Buffer.alloc(256 * 4).toString("base64");
        }),
      ),
    ),
    re: /order is not a permutation of the 256 images/,
  },
  {
    kind: "checkpoint",
    args: T(
      "--resume",
      file(
        "rng.ckpt.safetensors",
        ckMeta((m) => {
          m["checkpoint.rng"] = "xyz";
        }),
      ),
    ),
    re: /RNG state must be 64 hex digits/,
  },
  {
    kind: "checkpoint",
    args: T(
      "--resume",
      file(
        "history.ckpt.safetensors",
        ckMeta((m) => {
          m["checkpoint.history"] = JSON.stringify({ epochs: [], batchLosses: [1, 2], seconds: 1 });
        }),
      ),
    ),
    re: /history must hold 8 finite batch losses/,
  },
  {
    kind: "checkpoint",
    args: T(
      "--resume",
      file(
        "batch.ckpt.safetensors",
        ckMeta((m) => {
          m["checkpoint.batch"] = "99";
        }),
      ),
    ),
    re: /batch 99 is past the end of an epoch \(8 batches of 32 from 256 images\)/,
  },
  {
    kind: "checkpoint",
    args: T(
      "--resume",
      file(
        "options.ckpt.safetensors",
        ckMeta((m) => {
          m["checkpoint.options"] = '{"noise": "pink"}';
        }),
      ),
    ),
    re: /checkpoint options: unknown noise "pink"/,
  },
  {
    kind: "checkpoint",
    args: T(
      "--resume",
      file(
        "version.ckpt.safetensors",
        ckMeta((m) => {
          m.checkpoint = "7";
        }),
      ),
    ),
    re: /checkpoint format '7' is not supported/,
  },
  // runs that diverge: no weights, no results/, the step and the last good checkpoint named
  {
    kind: "non-finite",
    args: T("--data", data, "--lr", "1e9", "--batch", "32"),
    re: /training diverged at step \d+ \(epoch 1, batch \d+ of 8\): (loss NaN|weights became non-finite \(\S+\[\d+\] = (NaN|-?Infinity)\)); no weights written; last good checkpoint: .*out\.ckpt\.safetensors \(start of training, step 0\)/,
  },
  {
    kind: "non-finite",
    args: ["start", "--data", data, "--lr", "1e9", "--batch", "32", "--out", res, "--quiet", "--build", "strict"],
    re: /training diverged at step \d+ .*last good checkpoint: .*results\.ckpt\.safetensors/,
    outputs: [res],
  },
  {
    kind: "non-finite",
    args: T(
      "--data",
      data,
      "--init",
      file(
        "huge-init.safetensors",
        weightsWith((_, d) => d.map((_, i) => (i % 2 ? -1e30 : 1e30)), metaNoAdam),
      ),
    ),
    // Where it diverges depends on how the layers overflow (the fast 3×3 paths round ±1e30 otherwise than im2col + GEMM).
    re: /training diverged at step \d+ \(epoch \d+, batch \d of 4\): (loss NaN|weights became non-finite \(\S+\[\d+\] = (NaN|-?Infinity)\))/,
  },
  // flags
  { kind: "flags", args: T("--data", data, "--batch", "0"), re: /'--batch <n>' argument '0' is invalid/ },
  {
    kind: "flags",
    args: T("--data", data, "--batch", "5000"),
    re: /argument '5000' is invalid\. expected an integer from 1 to 4096/,
  },
  { kind: "flags", args: T("--data", data, "--epochs", "-1"), re: /'--epochs <n>' argument '-1' is invalid/ },
  { kind: "flags", args: T("--data", data, "--epochs", "2.5"), re: /argument '2.5' is invalid/ },
  {
    kind: "flags",
    args: T("--data", data, "--lr", "0"),
    re: /'--lr <x>' argument '0' is invalid\. expected a positive number/,
  },
  { kind: "flags", args: T("--data", data, "--lr", "NaN"), re: /argument 'NaN' is invalid/ },
  { kind: "flags", args: T("--data", data, "--lr", "1e999"), re: /argument '1e999' is invalid/ },
  { kind: "flags", args: T("--data", data, "--seed", "-1"), re: /'--seed <n>' argument '-1' is invalid/ },
  { kind: "flags", args: T("--data", data, "--limit", "0"), re: /'--limit <n>' argument '0' is invalid/ },
  { kind: "flags", args: T("--data", data, "--level", "loud"), re: /'--level <x>' argument 'loud' is invalid/ },
  { kind: "flags", args: T("--data", data, "--noise", "pink"), re: /'--noise <type>' argument 'pink' is invalid/ },
  {
    kind: "flags",
    args: T("--data", data, "--mix", "1,1"),
    re: /'--mix <g,sp,sk>' argument '1,1' is invalid\. mix '1,1' must be three weights/,
  },
  {
    kind: "flags",
    args: T("--data", data, "--mix", "0,0,0"),
    re: /argument '0,0,0' is invalid\. mix '0,0,0' must be three weights ≥ 0 .*not all 0/,
  },
  { kind: "flags", args: T("--data", data, "--mix", "2,-1,1"), re: /argument '2,-1,1' is invalid/ },
  {
    kind: "flags",
    args: T("--data", data, "--noise", "gaussian", "--mix", "2,1,1"),
    re: /--mix weighs the kinds of --noise mixed, not --noise gaussian/,
  },
  { kind: "flags", args: T("--data", data, "--arch", "resnet"), re: /'--arch <name>' argument 'resnet' is invalid/ },
  {
    kind: "flags",
    args: T("--data", data, "--build", "turbo"),
    re: /argument 'turbo' is invalid\. Allowed choices are auto, relaxed, strict, scalar/,
  },
  { kind: "flags", args: T("--data", data, "--frobnicate"), re: /unknown option '--frobnicate'/ },
  { kind: "flags", args: ["frobnicate"], re: /unknown command 'frobnicate'/ },
  { kind: "flags", args: T("--data", data, "--checkpoint", o), re: /is the output path too/ },
  {
    kind: "flags",
    args: T("--data", data, "--checkpoint", join(file("plain-file", "x"), "ck.safetensors")),
    re: /ck\.safetensors: cannot write \((ENOTDIR|EEXIST)\)/,
  },
  {
    kind: "flags",
    args: T(
      "--data",
      data,
      "--resume",
      ckpt,
      "--epochs",
      "1",
      "--checkpoint",
      join(tmp, "cases", "c2.safetensors"),
      "--seed",
      "2",
    ),
    re: /--seed 2 differs from the checkpoint's seed 1/,
  },
  {
    kind: "flags",
    args: ["start", "--data", data, "--eval-limit", "0", "--out", res],
    re: /'--eval-limit <n>' argument '0' is invalid/,
    outputs: [res],
  },
  {
    kind: "flags",
    args: ["noise", digit, "-o", p, "--type", "gaussian", "--seed", "1.5"],
    re: /'--seed <n>' argument '1.5' is invalid/,
    outputs: [p],
  },
  {
    kind: "flags",
    args: ["noise", digit, "-o", p, "--type", "gaussian", "--level", "-0.5"],
    re: /argument '-0.5' is invalid/,
    outputs: [p],
  },
  { kind: "flags", args: ["denoise", "-o", p], re: /missing required argument 'inputs'/, outputs: [p] },
  {
    kind: "flags",
    args: ["eval", "--weights", weights, "--data", data, "--limit", "-5"],
    re: /'--limit <n>' argument '-5' is invalid/,
  },
];

// TIFF, AVIF and HEIC (test/fixtures/formats): cut short, garbage after the magic, a zero or huge
// declared size, a decompression bomb declared in the header, and (TIFF) one hidden in a strip.
/** A case file in cases/formats/ (apart from the folder the folder cases read). */
const fmtFile = (name: string, bytes: Uint8Array | string) => file(join("formats", name), bytes);
const FMT = fileURLToPath(new URL("../../test/fixtures/formats/", import.meta.url));
/** A gray 8-bit TIFF, directory first: `w`×`h` pixels in one strip of `strip` bytes, compressed with `compression`. */
function craftTiff(w: number, h: number, strip: Uint8Array, compression = 1): Buffer {
  const tags: [number, number, number][] = [
    [256, 4, w],
    [257, 4, h],
    [258, 3, 8],
    [259, 3, compression],
    [262, 3, 1],
    [273, 4, 8 + 2 + 12 * 9 + 4],
    [277, 3, 1],
    [278, 4, h],
    [279, 4, strip.length],
  ];
  const b = Buffer.alloc(8 + 2 + 12 * tags.length + 4);
  b.write("II*\0", 0, "latin1");
  b.writeUInt32LE(8, 4);
  b.writeUInt16LE(tags.length, 8);
  tags.forEach(([tag, type, v], i) => {
    b.writeUInt16LE(tag, 10 + 12 * i);
    b.writeUInt16LE(type, 12 + 12 * i);
    b.writeUInt32LE(1, 14 + 12 * i);
    if (type === 3) b.writeUInt16LE(v, 18 + 12 * i);
    else b.writeUInt32LE(v, 18 + 12 * i);
  });
  return Buffer.concat([b, strip]);
}
/** An LZW stream (TIFF's: MSB first, codes widened one early) of codes 258, 259, … each naming the string before it plus one byte: 7 MB from 5 kB. */
function lzwBomb(): Buffer {
  const out: number[] = [];
  let acc = 0,
    have = 0,
    bits = 9;
  const put = (code: number, width: number) => {
    acc = (acc << width) | code;
    have += width;
    for (; have >= 8; have -= 8) out.push((acc >>> (have - 8)) & 255);
    acc &= (1 << have) - 1;
  };
  put(256, 9); // clear
  put(0, 9);
  for (let next = 258; next < 4000; ) {
    put(next++, bits);
    if (next + 1 >= 1 << bits && bits < 12) bits++;
  }
  put(257, bits); // end of information
  if (have) put(0, 8 - have);
  return Buffer.from(out);
}
/** A HEIF / AVIF fixture with every ispe box saying `w`×`h`. */
function heifSized(name: string, w: number, h: number): Buffer {
  const b = Buffer.from(readFileSync(join(FMT, name)));
  for (let at = b.indexOf("ispe"); at >= 0; at = b.indexOf("ispe", at + 4)) {
    b.writeUInt32BE(w, at + 8);
    b.writeUInt32BE(h, at + 12);
  }
  return b;
}
const garbageAfter = (name: string, keep: number) => {
  const b = Buffer.from(readFileSync(join(FMT, name)));
  for (let i = keep; i < b.length; i++) b[i] = (i * 7919) & 255;
  return b;
};
const half = (name: string) => {
  const b = readFileSync(join(FMT, name));
  return b.subarray(0, b.length >> 1);
};
cases.push(
  {
    kind: "tiff",
    args: D(fmtFile("cut.tif", half("photo-lzw.tif"))),
    re: /corrupt TIFF \(its directory at byte \d+ is past the end\)/,
  },
  {
    kind: "tiff",
    args: D(fmtFile("cut-strip.tif", craftTiff(64, 48, Buffer.alloc(3072, 9)).subarray(0, 1000))),
    re: /corrupt TIFF \(strip 0 at byte 122 runs past the end of the file\)/,
  },
  {
    kind: "tiff",
    args: D(fmtFile("garbage.tif", garbageAfter("photo-lzw.tif", 4))),
    re: /corrupt TIFF \(its directory at byte \d+/,
  },
  {
    kind: "tiff",
    args: D(fmtFile("zero.tif", craftTiff(0, 48, Buffer.alloc(10)))),
    re: /TIFF header says 0×48 pixels/,
  },
  {
    kind: "tiff",
    args: D(fmtFile("huge.tif", craftTiff(100000, 100000, Buffer.alloc(100)))),
    re: /TIFF is 100000×100000 pixels, over the 67108864-pixel limit/,
  },
  {
    kind: "tiff",
    args: D(fmtFile("bomb.tif", craftTiff(8000, 8000, deflateSync(Buffer.alloc(64000))))),
    re: /TIFF declares 8000×8000 pixels in \d+ bytes \(over 4096 a byte\): truncated, or a decompression bomb/,
  },
  {
    kind: "tiff",
    args: D(fmtFile("strip-bomb.tif", craftTiff(64, 48, deflateSync(Buffer.alloc(50_000_000)), 8))),
    re: /TIFF strip 0 decompresses past its 3072 bytes: a decompression bomb/,
  },
  {
    kind: "tiff",
    args: D(fmtFile("lzw-bomb.tif", craftTiff(64, 48, lzwBomb(), 5))),
    re: /TIFF strip 0 decompresses past its 3072 bytes: a decompression bomb/,
  },
  {
    kind: "tiff",
    args: D(fmtFile("lzw-garbage.tif", craftTiff(64, 48, Buffer.from("not LZW data at all, just text"), 5))),
    re: /corrupt TIFF \(strip 0 (is not valid LZW data|holds \d+ bytes, its place needs 3072)\)/,
  },
  {
    kind: "tiff",
    args: D(fmtFile("jpeg-in.tif", craftTiff(64, 48, goodJpeg, 7))),
    re: /TIFF compression 7 is not supported \(uncompressed, LZW and deflate are\)/,
  },
  {
    kind: "tiff",
    args: D(fmtFile("empty.tif", Buffer.alloc(0))),
    re: /not a PNG, JPEG, WebP, TIFF, AVIF or HEIC file/,
  },
  ...(["avif", "heic"] as const).flatMap((ext): Case[] => {
    const K = ext.toUpperCase(),
      src = `photo.${ext}`,
      size = readFileSync(join(FMT, src)).length;
    return [
      { kind: ext, args: D(fmtFile(`cut.${ext}`, half(src))), re: new RegExp(`corrupt ${K} \\(`) },
      {
        kind: ext,
        args: D(fmtFile(`cut40.${ext}`, readFileSync(join(FMT, src)).subarray(0, 40))),
        re: new RegExp(`corrupt ${K} \\(no image size`),
      },
      { kind: ext, args: D(fmtFile(`garbage.${ext}`, garbageAfter(src, 24))), re: new RegExp(`corrupt ${K} \\(`) },
      {
        kind: ext,
        args: D(fmtFile(`zero.${ext}`, heifSized(src, 0, 0))),
        re: new RegExp(`${K} header says 0×0 pixels`),
      },
      {
        kind: ext,
        args: D(fmtFile(`huge.${ext}`, heifSized(src, 100000, 100000))),
        re: new RegExp(`${K} is 100000×100000 pixels, over the 67108864-pixel limit`),
      },
      {
        kind: ext,
        args: D(fmtFile(`bomb.${ext}`, heifSized(src, 8000, 8000))),
        re: new RegExp(`${K} declares 8000×8000 pixels in ${size} bytes \\(over 16384 a byte\\)`),
      },
    ];
  }),
);
for (const c of cases) if (["tiff", "avif", "heic"].includes(c.kind)) c.outputs = [p];

test(`hostile inputs through the CLI: one line, exit ≠ 0, no crash, no output, RSS < ${RSS_LIMIT_MB} MB`, async () => {
  const results: (Outcome & { c: Case })[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++,
        c = cases[i];
      results[i] = { c, ...(await runAsync(c.args, join(tmp, `rss-${i}.txt`))) };
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  const failures: string[] = [];
  const byKind = new Map<string, number>();
  let maxRss = 0,
    maxRssCase = "";
  for (const r of results) {
    const what = `[${r.c.kind}] ${r.c.args.map((a) => basename(a)).join(" ")}`;
    const lines = r.err
      .trim()
      .split("\n")
      .filter((l) => l && !/^(engine|checkpoint|init|resume): /.test(l));
    const problems: string[] = [];
    if (r.signal) problems.push(`killed by ${r.signal}`);
    if (r.code === 0 || r.code === null) problems.push(`exit ${r.code}`);
    if (lines.length !== 1) problems.push(`${lines.length} lines on stderr`);
    if (!r.c.re.test(r.err)) problems.push(`stderr does not match ${r.c.re}`);
    if (/^\s+at /m.test(r.err)) problems.push("stack trace");
    for (const out of [o, ...(r.c.outputs ?? [])]) if (existsSync(out)) problems.push(`left ${out}`);
    if (!(r.rssMB < RSS_LIMIT_MB)) problems.push(`peak RSS ${r.rssMB.toFixed(0)} MB`);
    if (r.rssMB > maxRss) {
      maxRss = r.rssMB;
      maxRssCase = what;
    }
    if (problems.length)
      failures.push(`${what}: ${problems.join(", ")}\n    stderr: ${r.err.trim().replace(/\n/g, "\n            ")}`);
    else byKind.set(r.c.kind, (byKind.get(r.c.kind) ?? 0) + 1);
  }
  const leftovers = readdirSync(join(tmp, "cases"), { recursive: true })
    .map(String)
    .filter((f) => f.includes(".tmp"));
  assert.deepEqual(leftovers, [], "temporary files left behind");
  const handled = cases.length - failures.length;
  console.log(
    `# ${cases.length} bad inputs tried, ${handled} handled (${[...byKind].map(([k, n]) => `${k} ${n}`).join(", ")}); peak RSS ${maxRss.toFixed(0)} MB (${maxRssCase}), limit ${RSS_LIMIT_MB} MB`,
  );
  assert.equal(failures.length, 0, `\n${failures.join("\n")}`);
  assert.ok(cases.length >= 30);
});

test("valid but unusual PNGs (palette, 16-bit, alpha, interlaced, sub-byte) denoise like 8-bit gray", () => {
  // The same noisy digit in every encoding; gray levels are chosen so each one is exact in all of them.
  const r = (i: number) => ((i * 2654435761) >>> 0) / 2 ** 32;
  const levels = [0, 85, 170, 255]; // exact in 2-bit gray (×85), 16-bit (×257) and any palette
  const q = Array.from(
    digitPixels,
    (v, i) => levels[Math.min(3, Math.max(0, Math.round(v / 85) + (r(i) < 0.1 ? 1 : 0)))],
  );
  const at = (x: number, y: number) => q[y * 28 + x];
  const pal: [number, number, number][] = levels.map((v) => [v, v, v]);
  const kinds: [string, CraftOptions, (x: number, y: number) => number[]][] = [
    ["gray8", { width: 28, height: 28, colorType: 0, bitDepth: 8 }, (x, y) => [at(x, y)]],
    ["gray2", { width: 28, height: 28, colorType: 0, bitDepth: 2 }, (x, y) => [at(x, y) / 85]],
    ["gray16", { width: 28, height: 28, colorType: 0, bitDepth: 16 }, (x, y) => [at(x, y) * 257]],
    [
      "gray16-interlaced",
      { width: 28, height: 28, colorType: 0, bitDepth: 16, interlace: true },
      (x, y) => [at(x, y) * 257],
    ],
    ["palette2", { width: 28, height: 28, colorType: 3, bitDepth: 2, palette: pal }, (x, y) => [at(x, y) / 85]],
    [
      "palette8-trns-interlaced",
      { width: 28, height: 28, colorType: 3, bitDepth: 8, palette: pal, alpha: [255, 255, 255, 255], interlace: true },
      (x, y) => [at(x, y) / 85],
    ],
    ["rgb8", { width: 28, height: 28, colorType: 2, bitDepth: 8 }, (x, y) => [at(x, y), at(x, y), at(x, y)]],
    [
      "rgb16-interlaced",
      { width: 28, height: 28, colorType: 2, bitDepth: 16, interlace: true },
      (x, y) => [at(x, y) * 257, at(x, y) * 257, at(x, y) * 257],
    ],
    ["rgba8", { width: 28, height: 28, colorType: 6, bitDepth: 8 }, (x, y) => [at(x, y), at(x, y), at(x, y), 255]],
    [
      "rgba16",
      { width: 28, height: 28, colorType: 6, bitDepth: 16 },
      (x, y) => [at(x, y) * 257, at(x, y) * 257, at(x, y) * 257, 65535],
    ],
    ["gray-alpha8", { width: 28, height: 28, colorType: 4, bitDepth: 8 }, (x, y) => [at(x, y), 255]],
    [
      "gray-alpha16-interlaced",
      { width: 28, height: 28, colorType: 4, bitDepth: 16, interlace: true },
      (x, y) => [at(x, y) * 257, 65535],
    ],
  ];
  const outDir = join(tmp, "unusual-out");
  const inputs = kinds.map(([name, opts, f]) => file(join("unusual", `${name}.png`), craftPng(opts, f)));
  // A half-transparent RGBA image: the gray plane denoises as gray8, alpha is kept.
  inputs.push(
    file(
      join("unusual", "rgba-half.png"),
      craftPng({ width: 28, height: 28, colorType: 6, bitDepth: 8 }, (x, y) => [at(x, y), at(x, y), at(x, y), 128]),
    ),
  );
  const run = runCli(["denoise", ...inputs, "-o", outDir, "--weights", weights, "--quiet"]);
  assert.equal(run.code, 0, run.err);
  const outs = new Map(readdirSync(outDir).map((f) => [f.replace(/\.png$/, ""), readImagePlanes(join(outDir, f))]));
  const ref = outs.get("gray8")!;
  let worst = 0;
  for (const [name] of kinds) {
    const img = outs.get(name);
    assert.ok(img, `${name}: no output`);
    assert.deepEqual([img.width, img.height, img.planes.length, !!img.alpha], [28, 28, 1, false], name);
    let d = 0;
    for (let i = 0; i < 784; i++) d = Math.max(d, Math.abs(img.planes[0][i] - ref.planes[0][i]) * 255);
    worst = Math.max(worst, d);
    assert.ok(d <= 1.0001, `${name}: differs from the 8-bit gray result by ${d} gray levels`);
  }
  const half = outs.get("rgba-half")!;
  assert.ok(
    half.alpha?.every((a) => a === Math.fround(128 / 255)),
    "alpha not kept",
  );
  for (let i = 0; i < 784; i++)
    assert.ok(
      Math.abs(half.planes[0][i] - ref.planes[0][i]) * 255 <= 1.0001,
      "the gray plane of a half-transparent image differs",
    );
  console.log(
    `# ${kinds.length + 1} unusual PNG encodings denoised through the CLI; ${kinds.length} equal the 8-bit gray result within ${worst.toFixed(0)} gray level(s)`,
  );
});

test("noise takes what denoise takes: a colour PNG (alpha kept) and a JPEG, written in colour as PNG or JPEG", () => {
  const colour = (x: number, y: number) => [(x * 9) % 256, (y * 11) % 256, ((x + y) * 5) % 256];
  const rgba = file(
    join("noise", "rgba.png"),
    craftPng({ width: 40, height: 30, colorType: 6, bitDepth: 8 }, (x, y) => [...colour(x, y), 100 + x]),
  );
  const jpg = file(
    join("noise", "colour.jpg"),
    Buffer.from(
      jpeg.encode(
        {
          width: 40,
          height: 30,
          data: Uint8Array.from({ length: 4 * 1200 }, (_, i) =>
            i % 4 === 3 ? 255 : colour((i >> 2) % 40, Math.floor((i >> 2) / 40))[i % 4],
          ),
        },
        95,
      ).data,
    ),
  );
  const runs: [string, string][] = [
    [rgba, "rgba-noisy.png"],
    [jpg, "jpg-noisy.png"],
    [jpg, "jpg-noisy.jpg"],
  ];
  for (const [input, name] of runs) {
    const out = join(tmp, "noise-out", name);
    const r = runCli([
      "noise",
      input,
      "-o",
      out,
      "--type",
      "gaussian",
      "--level",
      "0.2",
      "--seed",
      "5",
      "--build",
      "strict",
    ]);
    assert.equal(r.code, 0, r.err);
    const src = readImagePlanes(input),
      img = readImagePlanes(out);
    assert.deepEqual([img.width, img.height, img.planes.length], [40, 30, 3], name);
    assert.equal(!!img.alpha, !!src.alpha && !name.endsWith(".jpg"), `${name}: alpha`);
    if (img.alpha)
      assert.ok(
        img.alpha.every((a, i) => a === src.alpha![i]),
        `${name}: alpha changed`,
      );
    let moved = 0;
    img.planes.forEach((p, c) => p.forEach((v, i) => (moved += Math.abs(v - src.planes[c][i]))));
    assert.ok(moved / 3600 > 0.05, `${name}: mean change ${moved / 3600}, no noise added?`);
  }
  console.log(`# noise on a colour RGBA PNG and a colour JPEG: colour PNG (alpha kept) and JPEG outputs`);
});

test("images of 1 × 1, 1 × 100 000 and 100 000 × 1 pixels denoise to their own size; a photo folder with unreadable files among good ones trains on the good ones, one capped warning list", () => {
  const sizes: [number, number][] = [
    [1, 1],
    [100000, 1],
    [1, 100000],
  ];
  const outDir = join(tmp, "edge-out");
  const inputs = sizes.map(([w, h]) =>
    file(
      join("edge", `e${w}x${h}.png`),
      craftPng({ width: w, height: h, colorType: 0, bitDepth: 8 }, (x, y) => [(x * 7 + y * 13) % 256]),
    ),
  );
  const t0 = performance.now();
  const run = runCli(["denoise", ...inputs, "-o", outDir, "--weights", weights, "--quiet"]);
  assert.equal(run.code, 0, run.err);
  for (const [w, h] of sizes) {
    const img = readImagePlanes(join(outDir, `e${w}x${h}.png`));
    assert.deepEqual([img.width, img.height], [w, h]);
  }
  const denoiseS = (performance.now() - t0) / 1000;
  // 4 good photos, 4 unreadable ones (skipped, each named), 12 more too small: 10 warning lines, then a count.
  const folder = join(tmp, "cases", "mixed-train");
  cpSync(mixedFolder, folder, { recursive: true });
  for (let i = 0; i < 12; i++)
    writeFileSync(
      join(folder, `z${i}.png`),
      craftPng({ width: 8, height: 8, colorType: 0, bitDepth: 8 }, () => [9]),
    );
  const out = join(tmp, "mixed.safetensors");
  const r = runCli([
    "train",
    "--images",
    folder,
    "--arch",
    "unet16",
    "--patch",
    "16",
    "--patches-per-image",
    "4",
    "--batch",
    "8",
    "--epochs",
    "1",
    "--build",
    "strict",
    "--out",
    out,
  ]);
  assert.equal(r.code, 0, r.err);
  const warnings = r.err.split("\n").filter((l) => l.startsWith("denoise-wasm: warning: "));
  assert.equal(warnings.length, 11, r.err);
  for (const bad of [
    "c-truncated.jpg: corrupt JPEG",
    "d-bomb.jpg: JPEG declares 8000×8000",
    "e-cut.png: corrupt PNG",
    "f-text.png",
  ])
    assert.ok(
      warnings.some((w) => w.includes(bad)),
      `no warning for ${bad}\n${r.err}`,
    );
  assert.match(warnings[10], /skipped 6 more files of .*mixed-train \(16 in all\)/);
  assert.ok(existsSync(out));
  console.log(
    `# 1×1, 100000×1, 1×100000 denoised to their sizes (${denoiseS.toFixed(1)} s); photo folder: 4 good photos trained, 4 unreadable and 12 tiny skipped, ${warnings.length} warning lines`,
  );
});
