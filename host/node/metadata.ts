// A photo's metadata carried from the input file to the denoised one: EXIF (camera, date, GPS when it
// was there; its orientation tag reset to 1, since the pixels are decoded upright: host/core/exif.ts),
// XMP and the ICC colour profile, so a colour-managed viewer shows the same colours. Read from JPEG
// segments (APP1 Exif / XMP, APP2 ICC_PROFILE) and PNG chunks (eXIf, iTXt XML:com.adobe.xmp, iCCP),
// written as the same segments into a JPEG output and as the same chunks into a PNG output; a TIFF's
// ICC profile and XMP (tags 34675, 700) are read, and written into a TIFF output. WebP, AVIF and
// HEIC inputs give none, and their outputs get none.
import { deflateSync, inflateSync } from "node:zlib";
import { isTiff } from "../core/tiff.js";

export interface Metadata {
  /** The TIFF structure of the EXIF block (from its "II" / "MM" header on). */
  exif?: Uint8Array;
  /** The XMP packet (UTF-8 XML). */
  xmp?: Uint8Array;
  /** The ICC profile. */
  icc?: Uint8Array;
}

const EXIF_ID = "Exif\0\0";
const XMP_ID = "http://ns.adobe.com/xap/1.0/\0";
const ICC_ID = "ICC_PROFILE\0";
const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
const startsWith = (b: Uint8Array, id: string) => b.length >= id.length && latin1(b.subarray(0, id.length)) === id;
/** A compressed profile or packet may not inflate past this (a bomb is left behind, not followed). */
const BOUNDED = { maxOutputLength: 16 * 2 ** 20 };
/** A copy in its own memory (a Buffer's slice would share the file's, or Node's pool). */
const copy = (b: Uint8Array) => new Uint8Array(b);

/** The metadata of a JPEG or PNG file's bytes, or a TIFF's ICC profile and XMP (empty for anything else or when there is none). */
export function readMetadata(b: Uint8Array): Metadata {
  if (b[0] === 0xff && b[1] === 0xd8) return jpegMetadata(b);
  if (b[0] === 0x89 && latin1(b.subarray(1, 4)) === "PNG") return pngMetadata(b);
  if (isTiff(b)) return tiffMetadata(b);
  return {};
}

// TIFF keeps XMP (tag 700) and the ICC profile (tag 34675) as tags of its first directory. EXIF is a
// sub-directory whose offsets point into the file: it is neither read from nor written into a TIFF.
const TIFF_XMP = 700,
  TIFF_ICC = 34675;

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
  for (const e of d.entries) {
    const dv = new DataView(e.buffer, e.byteOffset, 12),
      tag = dv.getUint16(0, d.le),
      type = dv.getUint16(2, d.le),
      count = dv.getUint32(4, d.le);
    if ((tag !== TIFF_ICC && tag !== TIFF_XMP) || (type !== 1 && type !== 7)) continue; // BYTE or UNDEFINED
    const at = count <= 4 ? e.byteOffset - b.byteOffset + 8 : dv.getUint32(8, d.le);
    if (at + count > b.length) continue; // cut off: left behind
    md[tag === TIFF_ICC ? "icc" : "xmp"] = copy(b.subarray(at, at + count));
  }
  return md;
}

/**
 * TIFF bytes with the metadata's ICC profile and XMP as tags: the values and a new first directory
 * (the old one's entries, these two replaced) appended, and the header pointed at it. Nothing moves,
 * so every offset the old entries hold stays right.
 */
export function withTiffMetadata(t: Uint8Array, md: Metadata): Uint8Array {
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
    const e = Buffer.alloc(12);
    const u16 = (x: number, o: number) => (d.le ? e.writeUInt16LE(x, o) : e.writeUInt16BE(x, o));
    const u32 = (x: number, o: number) => (d.le ? e.writeUInt32LE(x, o) : e.writeUInt32BE(x, o));
    u16(tag, 0);
    u16(tag === TIFF_XMP ? 1 : 7, 2); // XMP as BYTE, the profile as UNDEFINED (TIFF/EP, Adobe)
    u32(v!.length, 4);
    u32(end, 8);
    entries.push(e);
    parts.push(v!, new Uint8Array(v!.length & 1));
    end += v!.length + (v!.length & 1);
  }
  entries.sort((a, b) => tagOf(a) - tagOf(b));
  const dir = Buffer.alloc(2 + 12 * entries.length + 4);
  if (d.le) dir.writeUInt16LE(entries.length, 0);
  else dir.writeUInt16BE(entries.length, 0);
  entries.forEach((e, k) => dir.set(e, 2 + 12 * k));
  dir.set(t.subarray(d.at + 2 + 12 * d.entries.length, d.at + 6 + 12 * d.entries.length), dir.length - 4); // the next directory, as it was
  const out = Buffer.concat([...parts, dir]);
  if (d.le) out.writeUInt32LE(end, 4);
  else out.writeUInt32BE(end, 4);
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
    if (marker === 0xe1 && startsWith(seg, EXIF_ID)) md.exif ??= copy(seg.subarray(EXIF_ID.length));
    else if (marker === 0xe1 && startsWith(seg, XMP_ID)) md.xmp ??= copy(seg.subarray(XMP_ID.length));
    else if (marker === 0xe2 && startsWith(seg, ICC_ID) && seg.length > ICC_ID.length + 2)
      icc.push([seg[ICC_ID.length], copy(seg.subarray(ICC_ID.length + 2))]);
    at += 2 + len;
  }
  if (icc.length) md.icc = copy(Buffer.concat(icc.sort((x, y) => x[0] - y[0]).map(([, d]) => d)));
  return md;
}

function pngMetadata(b: Uint8Array): Metadata {
  const md: Metadata = {};
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let at = 8; at + 12 <= b.length; ) {
    const len = dv.getUint32(at),
      type = latin1(b.subarray(at + 4, at + 8)),
      data = b.subarray(at + 8, Math.min(b.length, at + 8 + len));
    if (type === "IDAT" || type === "IEND") {
      if (type === "IEND") break;
    } else if (type === "eXIf") md.exif ??= copy(data);
    else if (type === "iCCP") {
      const nul = data.indexOf(0);
      try {
        if (nul > 0 && data[nul + 1] === 0) md.icc ??= new Uint8Array(inflateSync(data.subarray(nul + 2), BOUNDED));
      } catch {
        // a damaged profile is left behind, not an error: the pixels are what matters
      }
    } else if (type === "iTXt" && startsWith(data, "XML:com.adobe.xmp\0")) {
      // keyword\0, compression flag, method, language\0, translated keyword\0, text
      let p = "XML:com.adobe.xmp\0".length;
      const compressed = data[p];
      p += 2;
      p = data.indexOf(0, p) + 1;
      p = data.indexOf(0, p) + 1;
      if (p > 0) {
        try {
          md.xmp ??= copy(compressed ? inflateSync(data.subarray(p), BOUNDED) : data.subarray(p));
        } catch {
          // as above
        }
      }
    }
    at += 12 + len;
  }
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
  const body = Buffer.concat([Buffer.from(id, "latin1"), ...parts]);
  if (body.length + 2 > 0xffff) return undefined; // too big for one segment: left out
  const head = Buffer.from([0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff]);
  return Buffer.concat([head, body]);
};

/** JPEG bytes with the metadata's segments right after SOI (the encoder writes none of its own but JFIF). */
export function withJpegMetadata(jpeg: Uint8Array, md: Metadata): Uint8Array {
  const segs: (Buffer | undefined)[] = [];
  if (md.exif) segs.push(segment(0xe1, EXIF_ID, uprightExif(md.exif)));
  if (md.xmp) segs.push(segment(0xe1, XMP_ID, md.xmp));
  if (md.icc) {
    const CHUNK = 65519,
      n = Math.ceil(md.icc.length / CHUNK);
    for (let k = 0; k < n && n < 256; k++)
      segs.push(segment(0xe2, ICC_ID, Uint8Array.from([k + 1, n]), md.icc.subarray(k * CHUNK, (k + 1) * CHUNK)));
  }
  const add = segs.filter((s): s is Buffer => !!s);
  if (!add.length) return jpeg;
  // after SOI and the encoder's JFIF APP0 (JFIF wants to be first)
  const app0 = jpeg[2] === 0xff && jpeg[3] === 0xe0 ? 4 + ((jpeg[4] << 8) | jpeg[5]) - 2 + 2 : 2;
  return Buffer.concat([jpeg.subarray(0, app0), ...add, jpeg.subarray(app0)]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  let c = 0xffffffff;
  for (const x of [...head.subarray(4), ...data]) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE((c ^ 0xffffffff) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** PNG bytes with the metadata as chunks right after IHDR (iCCP, eXIf, iTXt XMP). */
export function withPngMetadata(png: Uint8Array, md: Metadata): Uint8Array {
  const add: Buffer[] = [];
  if (md.icc) add.push(chunk("iCCP", Buffer.concat([Buffer.from("ICC Profile\0\0", "latin1"), deflateSync(md.icc)])));
  if (md.exif) add.push(chunk("eXIf", uprightExif(md.exif)));
  if (md.xmp) add.push(chunk("iTXt", Buffer.concat([Buffer.from("XML:com.adobe.xmp\0\0\0\0\0", "latin1"), md.xmp])));
  if (!add.length) return png;
  const ihdrEnd = 8 + 12 + 13;
  return Buffer.concat([png.subarray(0, ihdrEnd), ...add, png.subarray(ihdrEnd)]);
}

/** Encoded image bytes (JPEG or PNG; TIFF: ICC and XMP) with the metadata added; other bytes as they are. */
export function withMetadata(bytes: Uint8Array, md: Metadata): Uint8Array {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return withJpegMetadata(bytes, md);
  if (bytes[0] === 0x89) return withPngMetadata(bytes, md);
  if (isTiff(bytes)) return withTiffMetadata(bytes, md);
  return bytes;
}
