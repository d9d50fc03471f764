// A photo's metadata carried from the input file to the denoised one: EXIF (camera, date, GPS when it
// was there; its orientation tag reset to 1, since the pixels are decoded upright: host/core/exif.ts),
// XMP and the ICC colour profile, so a colour-managed viewer shows the same colours, and the print
// resolution (JPEG's JFIF density, PNG's pHYs, TIFF's resolution tags: a 300 dpi scan stays 300 dpi across them). Read from JPEG
// segments (APP1 Exif / XMP, APP2 ICC_PROFILE) and PNG chunks (eXIf, iTXt XML:com.adobe.xmp, iCCP),
// and WebP chunks (EXIF, XMP, ICCP), written as the same segments into a JPEG output and as the same
// chunks into a PNG or WebP output; a TIFF's ICC profile and XMP (tags 34675, 700) are read, and
// written into a TIFF output. AVIF and HEIC inputs give none, and their outputs get none.
// Browser-safe (the CLI and the page's downloads both use it): PNG's compressed profile and XMP go
// through the platform's CompressionStream (host/core/png-encode.ts).
import { concatBytes, deflate, inflate, pngChunk, pngChunks } from "./png-encode.js";
import { isTiff } from "./tiff.js";
import { isWebp, riffChunk, riffChunks, webpExif, webpSize } from "./webp.js";

export interface Metadata {
  /** The TIFF structure of the EXIF block (from its "II" / "MM" header on). */
  exif?: Uint8Array;
  /** The XMP packet (UTF-8 XML). */
  xmp?: Uint8Array;
  /** The ICC profile. */
  icc?: Uint8Array;
  /** Pixels per inch or per centimetre, when the file says (not a bare aspect ratio). */
  density?: Density;
}

export interface Density {
  x: number;
  y: number;
  unit: "inch" | "cm";
}

const EXIF_ID = "Exif\0\0";
const XMP_ID = "http://ns.adobe.com/xap/1.0/\0";
const ICC_ID = "ICC_PROFILE\0";
const JFIF_ID = "JFIF\0";
const METRES_PER_INCH = 0.0254;
const PNG_XMP_KEY = "XML:com.adobe.xmp\0";
/** A compressed profile or packet may not inflate past this. */
const MAX_INFLATED = 16 * 2 ** 20;

const latin1 = (b: Uint8Array) => String.fromCharCode(...b);
const bytesOf = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const startsWith = (b: Uint8Array, id: string) => b.length >= id.length && latin1(b.subarray(0, id.length)) === id;
/** A copy in its own memory (a view would share the file's). */
const copy = (b: Uint8Array) => new Uint8Array(b);

/** The metadata of a JPEG, PNG or WebP file's bytes, or a TIFF's ICC profile and XMP (empty for anything else or when there is none). */
export async function readMetadata(b: Uint8Array): Promise<Metadata> {
  if (b[0] === 0xff && b[1] === 0xd8) return jpegMetadata(b);
  if (b[0] === 0x89 && latin1(b.subarray(1, 4)) === "PNG") return pngMetadata(b);
  if (isTiff(b)) return tiffMetadata(b);
  if (isWebp(b)) return webpMetadata(b);
  return {};
}

/** Encoded image bytes (JPEG, PNG or WebP; TIFF: ICC and XMP) with the metadata added; other bytes as they are. */
export async function withMetadata(bytes: Uint8Array, md: Metadata): Promise<Uint8Array> {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return withJpegMetadata(bytes, md);
  if (bytes[0] === 0x89) return withPngMetadata(bytes, md);
  if (isTiff(bytes)) return withTiffMetadata(bytes, md);
  if (isWebp(bytes)) return withWebpMetadata(bytes, md);
  return bytes;
}

// TIFF keeps XMP (tag 700) and the ICC profile (tag 34675) as tags of its first directory. EXIF is a
// sub-directory whose offsets point into the file: it is neither read from nor written into a TIFF.
const TIFF_XMP = 700,
  TIFF_ICC = 34675,
  TIFF_XRES = 282,
  TIFF_YRES = 283,
  TIFF_RES_UNIT = 296; // 1 none, 2 inch (the default), 3 cm

/** The first directory of a TIFF: its byte order, where it is, and its 12-byte entries. */
function tiffDirectory(b: Uint8Array): { le: boolean; at: number; entries: Uint8Array[] } | undefined {
  const le = b[0] === 0x49,
    dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 8) return undefined;
  const at = dv.getUint32(4, le);
  if (at + 2 > b.length) return undefined;
  const n = dv.getUint16(at, le);
  if (at + 2 + 12 * n + 4 > b.length) return undefined;
  return { le, at, entries: Array.from({ length: n }, (_, k) => b.subarray(at + 2 + 12 * k, at + 14 + 12 * k)) };
}

function tiffMetadata(b: Uint8Array): Metadata {
  const d = tiffDirectory(b),
    md: Metadata = {};
  if (!d) return md;
  const res: Record<number, number> = { [TIFF_RES_UNIT]: 2 };
  const bv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (const e of d.entries) {
    const dv = new DataView(e.buffer, e.byteOffset, 12),
      tag = dv.getUint16(0, d.le),
      type = dv.getUint16(2, d.le),
      count = dv.getUint32(4, d.le);
    if (tag === TIFF_RES_UNIT && type === 3) res[tag] = dv.getUint16(8, d.le);
    if ((tag === TIFF_XRES || tag === TIFF_YRES) && type === 5 && count === 1) {
      const at = dv.getUint32(8, d.le);
      if (at + 8 <= b.length && bv.getUint32(at + 4, d.le))
        res[tag] = bv.getUint32(at, d.le) / bv.getUint32(at + 4, d.le);
    }
    if ((tag !== TIFF_ICC && tag !== TIFF_XMP) || (type !== 1 && type !== 7)) continue; // BYTE or UNDEFINED
    const at = count <= 4 ? e.byteOffset - b.byteOffset + 8 : dv.getUint32(8, d.le);
    if (at + count > b.length) continue; // cut off: left behind
    md[tag === TIFF_ICC ? "icc" : "xmp"] = copy(b.subarray(at, at + count));
  }
  const [x, y, unit] = [res[TIFF_XRES], res[TIFF_YRES], res[TIFF_RES_UNIT]];
  if (x > 0 && y > 0 && (unit === 2 || unit === 3))
    md.density = { x: Math.round(x * 100) / 100, y: Math.round(y * 100) / 100, unit: unit === 2 ? "inch" : "cm" };
  return md;
}

/**
 * A copy of TIFF bytes whose resolution tags (a RATIONAL each, and the unit: what our encoder writes)
 * say the density, in place; tags it lacks are not added.
 */
function withTiffDensity(t: Uint8Array, density: Density): Uint8Array {
  const d = tiffDirectory(t);
  if (!d) return t;
  const out = copy(t),
    bv = new DataView(out.buffer);
  for (const e of d.entries) {
    const at = e.byteOffset - t.byteOffset,
      tag = bv.getUint16(at, d.le),
      type = bv.getUint16(at + 2, d.le);
    if (tag === TIFF_RES_UNIT && type === 3) bv.setUint16(at + 8, density.unit === "inch" ? 2 : 3, d.le);
    if ((tag === TIFF_XRES || tag === TIFF_YRES) && type === 5) {
      const v = bv.getUint32(at + 8, d.le);
      if (v + 8 > out.length) continue;
      bv.setUint32(v, Math.round(100 * (tag === TIFF_XRES ? density.x : density.y)), d.le);
      bv.setUint32(v + 4, 100, d.le);
    }
  }
  return out;
}

/**
 * TIFF bytes with the metadata's ICC profile and XMP as tags: the values and a new first directory
 * (the old one's entries, these two replaced) appended, and the header pointed at it. Nothing moves,
 * so every offset the old entries hold stays right.
 */
export function withTiffMetadata(t: Uint8Array, md: Metadata): Uint8Array {
  if (md.density) t = withTiffDensity(t, md.density);
  const d = tiffDirectory(t);
  const values = (
    [
      [TIFF_XMP, md.xmp],
      [TIFF_ICC, md.icc],
    ] as const
  ).filter(([, v]) => v && v.length > 4);
  if (!d || !values.length) return t;
  const tagOf = (e: Uint8Array) => (d.le ? e[0] | (e[1] << 8) : (e[0] << 8) | e[1]);
  let end = t.length + (t.length & 1);
  const parts: Uint8Array[] = [t, new Uint8Array(end - t.length)],
    entries = d.entries.filter((e) => tagOf(e) !== TIFF_XMP && tagOf(e) !== TIFF_ICC);
  for (const [tag, v] of values) {
    const e = new Uint8Array(12),
      dv = new DataView(e.buffer);
    dv.setUint16(0, tag, d.le);
    dv.setUint16(2, tag === TIFF_XMP ? 1 : 7, d.le); // XMP as BYTE, the profile as UNDEFINED (TIFF/EP, Adobe)
    dv.setUint32(4, v!.length, d.le);
    dv.setUint32(8, end, d.le);
    entries.push(e);
    parts.push(v!, new Uint8Array(v!.length & 1));
    end += v!.length + (v!.length & 1);
  }
  entries.sort((a, b) => tagOf(a) - tagOf(b));
  const dir = new Uint8Array(2 + 12 * entries.length + 4);
  new DataView(dir.buffer).setUint16(0, entries.length, d.le);
  entries.forEach((e, k) => dir.set(e, 2 + 12 * k));
  dir.set(t.subarray(d.at + 2 + 12 * d.entries.length, d.at + 6 + 12 * d.entries.length), dir.length - 4); // the next directory, as it was
  const out = concatBytes([...parts, dir]);
  new DataView(out.buffer).setUint32(4, end, d.le);
  return out;
}

function jpegMetadata(b: Uint8Array): Metadata {
  const md: Metadata = {},
    icc: [number, Uint8Array][] = [];
  let at = 2;
  while (at + 4 <= b.length && b[at] === 0xff) {
    const marker = b[at + 1],
      len = (b[at + 2] << 8) | b[at + 3];
    if (marker === 0xda || marker === 0xd9 || len < 2) break;
    const seg = b.subarray(at + 4, Math.min(b.length, at + 2 + len));
    if (marker === 0xe0 && !md.density && startsWith(seg, JFIF_ID) && seg.length >= 12) {
      const unit = seg[7],
        x = (seg[8] << 8) | seg[9],
        y = (seg[10] << 8) | seg[11];
      if ((unit === 1 || unit === 2) && x > 0 && y > 0) md.density = { x, y, unit: unit === 1 ? "inch" : "cm" };
    } else if (marker === 0xe1 && startsWith(seg, EXIF_ID)) md.exif ??= copy(seg.subarray(EXIF_ID.length));
    else if (marker === 0xe1 && startsWith(seg, XMP_ID)) md.xmp ??= copy(seg.subarray(XMP_ID.length));
    else if (marker === 0xe2 && startsWith(seg, ICC_ID) && seg.length > ICC_ID.length + 2)
      icc.push([seg[ICC_ID.length], seg.subarray(ICC_ID.length + 2)]);
    at += 2 + len;
  }
  if (icc.length) md.icc = concatBytes(icc.sort((x, y) => x[0] - y[0]).map(([, d]) => d));
  return md;
}

async function pngMetadata(b: Uint8Array): Promise<Metadata> {
  const md: Metadata = {};
  /** Inflated, or undefined: a damaged profile or packet is left behind, not an error (the pixels are what matters). */
  const inflated = (d: Uint8Array) => inflate(d, MAX_INFLATED).catch(() => undefined);
  for (const { type, data } of pngChunks(b)) {
    if (type === "eXIf") md.exif ??= copy(data);
    else if (type === "pHYs" && data.length === 9 && data[8] === 1 && !md.density) {
      const dv = new DataView(data.buffer, data.byteOffset, 8);
      const [x, y] = [dv.getUint32(0), dv.getUint32(4)];
      // pixels per metre: whole per cm when it is, else per inch (11811 px/m is 300 dpi)
      if (x > 0 && y > 0)
        md.density =
          x % 100 === 0 && y % 100 === 0
            ? { x: x / 100, y: y / 100, unit: "cm" }
            : { x: Math.round(x * METRES_PER_INCH), y: Math.round(y * METRES_PER_INCH), unit: "inch" };
    } else if (type === "iCCP" && !md.icc) {
      const nul = data.indexOf(0);
      if (nul > 0 && data[nul + 1] === 0) md.icc = await inflated(data.subarray(nul + 2));
    } else if (type === "iTXt" && startsWith(data, PNG_XMP_KEY) && !md.xmp) {
      // keyword\0, compression flag, method, language\0, translated keyword\0, text
      let p = PNG_XMP_KEY.length;
      const compressed = data[p];
      p += 2;
      p = data.indexOf(0, p) + 1;
      p = data.indexOf(0, p) + 1;
      if (p > 0) md.xmp = compressed ? await inflated(data.subarray(p)) : copy(data.subarray(p));
    }
  }
  for (const k of ["icc", "xmp"] as const) if (!md[k]) delete md[k];
  return md;
}

/** A copy of the EXIF block with its IFD0 orientation tag (if any) set to 1, upright. */
export function uprightExif(exif: Uint8Array): Uint8Array {
  const t = copy(exif),
    le = t[0] === 0x49;
  if (t.length < 8 || !(le || t[0] === 0x4d)) return t;
  const dv = new DataView(t.buffer, t.byteOffset, t.byteLength);
  const ifd = dv.getUint32(4, le);
  if (ifd + 2 > t.length) return t;
  const n = dv.getUint16(ifd, le);
  for (let k = 0; k < n && ifd + 2 + 12 * k + 12 <= t.length; k++) {
    const e = ifd + 2 + 12 * k;
    if (dv.getUint16(e, le) === 0x0112) dv.setUint16(e + 8, 1, le);
  }
  return t;
}

const segment = (marker: number, id: string, ...parts: Uint8Array[]) => {
  const body = concatBytes([bytesOf(id), ...parts]);
  if (body.length + 2 > 0xffff) return undefined; // too big for one segment: left out
  return concatBytes([Uint8Array.of(0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff), body]);
};

/**
 * JPEG bytes with the metadata's segments right after SOI and JFIF's APP0; a segment of the same kind
 * the encoder wrote (a canvas writes its own sRGB profile) is replaced by the input's.
 */
export function withJpegMetadata(jpeg: Uint8Array, md: Metadata): Uint8Array {
  const segs: (Uint8Array | undefined)[] = [];
  if (md.exif) segs.push(segment(0xe1, EXIF_ID, uprightExif(md.exif)));
  if (md.xmp) segs.push(segment(0xe1, XMP_ID, md.xmp));
  if (md.icc) {
    const CHUNK = 65519,
      n = Math.ceil(md.icc.length / CHUNK);
    for (let k = 0; k < n && n < 256; k++)
      segs.push(segment(0xe2, ICC_ID, Uint8Array.of(k + 1, n), md.icc.subarray(k * CHUNK, (k + 1) * CHUNK)));
  }
  const add = segs.filter((s): s is Uint8Array => !!s);
  if (!add.length && !md.density) return jpeg;
  const replaced = (marker: number, seg: Uint8Array) =>
    (marker === 0xe1 && md.exif && startsWith(seg, EXIF_ID)) ||
    (marker === 0xe1 && md.xmp && startsWith(seg, XMP_ID)) ||
    (marker === 0xe2 && md.icc && startsWith(seg, ICC_ID));
  const parts = [jpeg.subarray(0, 2)];
  let at = 2,
    added = false;
  while (at + 4 <= jpeg.length && jpeg[at] === 0xff) {
    const marker = jpeg[at + 1],
      end = at + 2 + ((jpeg[at + 2] << 8) | jpeg[at + 3]);
    if (marker < 0xe0 || marker > 0xef || end > jpeg.length) break; // past the APPn segments
    const seg = jpeg.subarray(at + 4, end);
    if (at === 2 && marker === 0xe0 && md.density && startsWith(seg, JFIF_ID)) parts.push(jfif(md.density));
    else if (!replaced(marker, seg)) parts.push(jpeg.subarray(at, end));
    if (at === 2 && marker === 0xe0) {
      parts.push(...add); // after JFIF's APP0, which wants to be first
      added = true;
    }
    at = end;
  }
  if (!added) parts.splice(1, 0, ...(md.density ? [jfif(md.density)] : []), ...add); // no APP0 first: right after SOI
  parts.push(jpeg.subarray(at));
  return concatBytes(parts);
}

/** A JFIF 1.01 APP0 segment (no thumbnail) saying the density. */
function jfif(d: Density): Uint8Array {
  const [x, y] = [d.x, d.y].map((v) => Math.max(1, Math.min(0xffff, Math.round(v))));
  return segment(
    0xe0,
    JFIF_ID,
    Uint8Array.of(1, 1, d.unit === "inch" ? 1 : 2, x >> 8, x & 0xff, y >> 8, y & 0xff, 0, 0),
  )!;
}

/** PNG bytes with the metadata as chunks right after IHDR (iCCP, eXIf, iTXt XMP, pHYs). */
export async function withPngMetadata(png: Uint8Array, md: Metadata): Promise<Uint8Array> {
  const add: Uint8Array[] = [];
  if (md.icc) add.push(pngChunk("iCCP", concatBytes([bytesOf("ICC Profile\0\0"), await deflate(md.icc)])));
  if (md.exif) add.push(pngChunk("eXIf", uprightExif(md.exif)));
  if (md.xmp) add.push(pngChunk("iTXt", concatBytes([bytesOf(`${PNG_XMP_KEY}\0\0\0\0`), md.xmp])));
  if (md.density) {
    const phys = new Uint8Array(9),
      dv = new DataView(phys.buffer),
      perMetre = (v: number) => Math.round(md.density!.unit === "inch" ? v / METRES_PER_INCH : v * 100);
    dv.setUint32(0, perMetre(md.density.x));
    dv.setUint32(4, perMetre(md.density.y));
    phys[8] = 1;
    add.push(pngChunk("pHYs", phys));
  }
  if (!add.length) return png;
  const ihdrEnd = 8 + 12 + 13;
  return concatBytes([png.subarray(0, ihdrEnd), ...add, png.subarray(ihdrEnd)]);
}

// WebP: metadata lives in an extended file's chunks (VP8X, then ICCP, the image, then EXIF and XMP), the
// VP8X chunk's flags saying which are there. A simple file (one VP8 or VP8L chunk) becomes extended.
const VP8X_ICC = 0x20,
  VP8X_ALPHA = 0x10,
  VP8X_EXIF = 0x08,
  VP8X_XMP = 0x04;

function webpMetadata(b: Uint8Array): Metadata {
  const md: Metadata = {},
    exif = webpExif(b),
    xmp = riffChunk(b, "XMP "),
    icc = riffChunk(b, "ICCP");
  if (exif?.length) md.exif = copy(exif);
  if (xmp?.length) md.xmp = copy(xmp);
  if (icc?.length) md.icc = copy(icc);
  return md;
}

/** A RIFF chunk: FourCC, little-endian size, payload, padded to an even length. */
function riffChunkBytes(fourcc: string, payload: Uint8Array): Uint8Array {
  const c = new Uint8Array(8 + payload.length + (payload.length & 1));
  c.set(bytesOf(fourcc));
  new DataView(c.buffer).setUint32(4, payload.length, true);
  c.set(payload, 8);
  return c;
}

/** WebP bytes as an extended file carrying the metadata's ICCP, EXIF and XMP chunks (replacing any it had). */
export function withWebpMetadata(webp: Uint8Array, md: Metadata): Uint8Array {
  const size = webpSize(webp);
  if (!(md.exif || md.xmp || md.icc) || !size) return webp;
  const image: Uint8Array[] = [];
  let flags = 0;
  for (const { fourcc, data, bytes } of riffChunks(webp)) {
    if (fourcc === "VP8X") flags = data[0] & ~(VP8X_ICC | VP8X_EXIF | VP8X_XMP);
    else if (fourcc === "VP8L" && data.length >= 5 && data[4] & 0x10)
      flags |= VP8X_ALPHA; // alpha_is_used bit
    else if (fourcc === "ALPH") flags |= VP8X_ALPHA;
    if (!["VP8X", "ICCP", "EXIF", "XMP "].includes(fourcc)) image.push(bytes);
  }
  if (md.icc) flags |= VP8X_ICC;
  if (md.exif) flags |= VP8X_EXIF;
  if (md.xmp) flags |= VP8X_XMP;
  const vp8x = new Uint8Array(10);
  vp8x[0] = flags;
  for (let k = 0; k < 3; k++) {
    vp8x[4 + k] = ((size.width - 1) >> (8 * k)) & 0xff;
    vp8x[7 + k] = ((size.height - 1) >> (8 * k)) & 0xff;
  }
  const body = concatBytes([
    bytesOf("WEBP"),
    riffChunkBytes("VP8X", vp8x),
    ...(md.icc ? [riffChunkBytes("ICCP", md.icc)] : []),
    ...image,
    ...(md.exif ? [riffChunkBytes("EXIF", uprightExif(md.exif))] : []),
    ...(md.xmp ? [riffChunkBytes("XMP ", md.xmp)] : []),
  ]);
  const out = concatBytes([bytesOf("RIFF"), new Uint8Array(4), body]);
  new DataView(out.buffer).setUint32(4, body.length, true);
  return out;
}
