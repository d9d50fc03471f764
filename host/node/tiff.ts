// TIFF in and out, as planes. Read by the npm package `tiff` (image-js, pure TypeScript: gray, RGB and
// palette, 1/8/16 bits, uncompressed, LZW or deflate, predictor 2) after its first directory is checked
// here (host/core/tiff.ts: size, bomb, layout) and every strip or tile is checked against the size it
// must decode to (checkTiffStrips: a strip that inflates past it is a bomb, one that falls short is
// cut), since the package itself trusts them. Written here, little-endian, deflate with horizontal
// differencing, 8 or 16 bits (16 when img.depth is 16), gray or RGB, alpha as an extra sample.
import { deflateSync, inflateSync } from "node:zlib";
import { decode } from "tiff";
import { fileError } from "../core/errors.js";
import { orientPlanes } from "../core/exif.js";
import { byte8, planesFromRgba, type PlanarImage } from "../core/image.js";
import { bytesReader, type TiffIfd, tiffIfd, tiffLayoutProblem, tiffSizeProblem } from "../core/tiff.js";

/** The bytes a strip (or tile) must decode to: its full rows (a last strip may hold fewer: `rows`). */
function stripBytes(d: TiffIfd, width: number, rows: number): number {
  const bps = d.bitsPerSample[0];
  return bps === 1 ? Math.ceil((width * d.samplesPerPixel) / 8) * rows : (width * rows * d.samplesPerPixel * bps) / 8;
}

/** How many bytes a TIFF LZW stream decodes to, counting without decoding; stops once past `limit`. */
export function lzwLength(b: Uint8Array, limit: number): number {
  const len = new Int32Array(4096);
  let next = 258,
    bits = 9,
    old = -1,
    out = 0,
    acc = 0,
    have = 0;
  for (let at = 0; ; ) {
    while (have < bits && at < b.length) {
      acc = ((acc << 8) | b[at++]) & 0xffffff;
      have += 8;
    }
    if (have < bits) return out; // ran out without an end code: the caller compares with the size needed
    const code = (acc >>> (have - bits)) & ((1 << bits) - 1);
    have -= bits;
    if (code === 257) return out;
    if (code === 256) {
      next = 258;
      bits = 9;
      old = -1;
      continue;
    }
    let n: number;
    if (code < 256) n = 1;
    else if (code < next && len[code] > 0) n = len[code];
    else if (code === next && old >= 0) n = len[old] + 1;
    else return -1; // a code not in the table: not LZW data
    out += n;
    if (out > limit) return out;
    if (old >= 0 && next < 4096) len[next++] = (old < 256 ? 1 : len[old]) + 1;
    if (next + 1 >= 1 << bits && bits < 12) bits++; // TIFF's LZW widens its codes one early
    old = code;
    if (code < 256) len[code] = 1;
  }
}

/** Checks every strip or tile of a TIFF: inside the file, and decoding to the bytes its place needs (not fewer: cut; not more: a bomb). */
function checkTiffStrips(buf: Uint8Array, d: TiffIfd, name: string): void {
  const bad = (why: string): never => fileError(name, `corrupt TIFF (${why})`);
  const tiled = d.tileWidth !== undefined;
  const tw = d.tileWidth ?? d.width,
    th = tiled ? (d.tileHeight ?? 0) : d.rowsPerStrip;
  if (!(tw > 0 && th > 0)) bad(tiled ? `tiles of ${tw}×${th} pixels` : `${th} rows a strip`);
  const n = tiled ? Math.ceil(d.width / tw) * Math.ceil(d.height / th) : Math.ceil(d.height / th);
  const what = tiled ? "tile" : "strip";
  if (d.offsets.length < n || d.counts.length < n)
    bad(`${d.offsets.length} ${what} offsets and ${d.counts.length} byte counts, the size needs ${n}`);
  for (let i = 0; i < n; i++) {
    const at = d.offsets[i],
      count = d.counts[i];
    if (at + count > buf.length) bad(`${what} ${i} at byte ${at} runs past the end of the file`);
    const full = stripBytes(d, tw, th),
      need = tiled ? full : stripBytes(d, d.width, Math.min(th, d.height - i * th));
    const data = buf.subarray(at, at + count);
    let got: number;
    if (d.compression === 1) got = count;
    else if (d.compression === 5) got = lzwLength(data, full);
    else {
      try {
        got = inflateSync(data, { maxOutputLength: full + 1 }).length;
      } catch (e) {
        got = (e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" ? full + 1 : -1;
      }
    }
    if (got < 0) bad(`${what} ${i} is not valid ${d.compression === 5 ? "LZW" : "deflate"} data`);
    if (got > full && d.compression !== 1)
      fileError(name, `TIFF ${what} ${i} decompresses past its ${full} bytes: a decompression bomb`);
    if (got < need) bad(`${what} ${i} holds ${got} bytes, its place needs ${need}`);
  }
}

/**
 * Decodes TIFF bytes (its first image) to planes: one (gray) or three (RGB, palette), alpha when
 * there is an alpha sample that is not opaque everywhere, depth 16 for 16-bit samples; turned upright
 * by its Orientation tag. One-line errors naming `name`.
 */
export function decodeTiffPlanes(buf: Uint8Array, name: string): PlanarImage {
  const d = tiffIfd(bytesReader(buf));
  if (typeof d === "string") return fileError(name, d);
  const problem = tiffSizeProblem(d, buf.length) ?? tiffLayoutProblem(d);
  if (problem) fileError(name, problem);
  checkTiffStrips(buf, d, name);
  let bytes = buf;
  if (d.orientation !== 1) {
    // The package reads only upright files: read it as stored, then turn the planes.
    if (d.orientationAt === undefined) fileError(name, "corrupt TIFF (its orientation cannot be read)");
    bytes = new Uint8Array(buf);
    bytes[d.orientationAt] = d.littleEndian ? 1 : 0;
    bytes[d.orientationAt + 1] = d.littleEndian ? 0 : 1;
  }
  let data: ArrayLike<number>;
  try {
    const ifd = decode(bytes, { pages: [0] })[0];
    if (ifd.width !== d.width || ifd.height !== d.height) throw new Error("size differs from the directory");
    data = ifd.data;
  } catch (e) {
    return fileError(name, `corrupt TIFF (${(e as Error).message})`);
  }
  const { width: w, height: h, samplesPerPixel: k } = d,
    bps = d.bitsPerSample[0],
    n = w * h;
  // As RGBA samples (0..max) for planesFromRgba, which keeps one plane when every pixel is gray.
  const max = d.photometric === 3 ? 65535 : 2 ** bps - 1,
    rgba = bps === 8 && d.photometric !== 3 ? new Uint8Array(4 * n) : new Uint16Array(4 * n);
  const alpha = d.extraSamples.length === 1;
  for (let i = 0; i < n; i++) {
    if (d.photometric === 3) {
      const m = d.colorMap!,
        v = data[i];
      rgba[4 * i] = m[v];
      rgba[4 * i + 1] = m[256 + v];
      rgba[4 * i + 2] = m[512 + v];
    } else if (d.photometric === 2) {
      rgba[4 * i] = data[k * i];
      rgba[4 * i + 1] = data[k * i + 1];
      rgba[4 * i + 2] = data[k * i + 2];
    } else rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = data[k * i];
    rgba[4 * i + 3] = alpha ? data[k * i + k - 1] : max;
  }
  const img = orientPlanes(planesFromRgba(rgba, w, h, max), d.orientation);
  return bps === 16 ? { ...img, depth: 16 } : img;
}

/** Planes as a TIFF: 8 bits a sample (16 when img.depth is 16), gray or RGB, alpha as an unassociated extra sample; deflate with horizontal differencing. */
export function encodeTiffPlanes(img: PlanarImage): Uint8Array {
  const { width: w, height: h } = img,
    planes = img.alpha ? [...img.planes, img.alpha] : img.planes,
    k = planes.length,
    wide = img.depth === 16,
    sampleBytes = wide ? 2 : 1,
    rowBytes = w * k * sampleBytes;
  const q = wide ? (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 65535) : byte8;
  // Strips of about 256 KiB before compression.
  const rowsPerStrip = Math.max(1, Math.min(h, Math.floor(2 ** 18 / rowBytes))),
    strips: Buffer[] = [];
  for (let y0 = 0; y0 < h; y0 += rowsPerStrip) {
    const rows = Math.min(rowsPerStrip, h - y0),
      raw = Buffer.alloc(rows * rowBytes);
    for (let y = 0; y < rows; y++)
      for (let x = w - 1; x >= 0; x--)
        for (let c = 0; c < k; c++) {
          const i = (y0 + y) * w + x,
            // horizontal differencing (predictor 2): each sample less the one a pixel to its left
            v = (q(planes[c][i]) - (x > 0 ? q(planes[c][i - 1]) : 0)) & (wide ? 0xffff : 0xff),
            at = y * rowBytes + (x * k + c) * sampleBytes;
          if (wide) raw.writeUInt16LE(v, at);
          else raw[at] = v;
        }
    strips.push(deflateSync(raw));
  }
  // Layout: header, strips, then the directory with its out-of-line values.
  let at = 8;
  const offsets = strips.map((s) => {
    const o = at;
    at += s.length + (s.length & 1); // values start on a word boundary
    return o;
  });
  const SHORT = 3,
    LONG = 4,
    RATIONAL = 5;
  const entries: [number, number, number[]][] = [
    [256, LONG, [w]],
    [257, LONG, [h]],
    [258, SHORT, Array(k).fill(8 * sampleBytes)],
    [259, SHORT, [8]], // deflate (Adobe)
    [262, SHORT, [img.planes.length === 3 ? 2 : 1]], // RGB or BlackIsZero
    [273, LONG, offsets],
    [277, SHORT, [k]],
    [278, LONG, [rowsPerStrip]],
    [279, LONG, strips.map((s) => s.length)],
    [282, RATIONAL, [72, 1]],
    [283, RATIONAL, [72, 1]],
    [284, SHORT, [1]],
    [296, SHORT, [2]],
    [317, SHORT, [2]], // horizontal differencing
    ...(img.alpha ? [[338, SHORT, [2]] as [number, number, number[]]] : []), // unassociated alpha
  ];
  const size = (type: number, v: number[]) => (type === SHORT ? 2 * v.length : 4 * v.length);
  const dirAt = at,
    dirBytes = 2 + 12 * entries.length + 4;
  let valuesAt = dirAt + dirBytes;
  const total = valuesAt + entries.reduce((s, [, t, v]) => s + (size(t, v) > 4 ? size(t, v) : 0), 0);
  const out = Buffer.alloc(total);
  out.write("II", 0, "latin1");
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(dirAt, 4);
  strips.forEach((s, i) => s.copy(out, offsets[i]));
  out.writeUInt16LE(entries.length, dirAt);
  entries.forEach(([tag, type, v], i) => {
    const e = dirAt + 2 + 12 * i,
      bytes = size(type, v),
      count = type === RATIONAL ? v.length / 2 : v.length;
    out.writeUInt16LE(tag, e);
    out.writeUInt16LE(type, e + 2);
    out.writeUInt32LE(count, e + 4);
    let p = e + 8;
    if (bytes > 4) {
      out.writeUInt32LE(valuesAt, e + 8);
      p = valuesAt;
      valuesAt += bytes;
    }
    for (const x of v) {
      if (type === SHORT) out.writeUInt16LE(x, p);
      else out.writeUInt32LE(x, p);
      p += type === SHORT ? 2 : 4;
    }
  });
  out.writeUInt32LE(0, dirAt + dirBytes - 4); // no next directory
  return out;
}
