// Image files in and out for every command, as planes (host/core/image.ts PlanarImage), told apart by
// their first bytes (host/core/formats.ts): PNG (pngjs, structure-checked: host/node/png.ts), JPEG
// (read as libjpeg-turbo decodes it: host/node/jpeg.ts; written by jpeg-js, pure JS), WebP
// (libwebp: host/node/webp.ts), TIFF (host/node/tiff.ts), AVIF (libavif: host/node/avif.ts) and
// HEIC (libheif, read only: host/node/heic.ts). Written in the format the output path's extension
// names (PNG for any other). readImageHeader checks a file from its header alone (format, size,
// limits, a decompression bomb), so a command can refuse a bad input before it writes anything;
// readImagePlanes reads a file once and decodes it once. Every problem is a one-line error naming
// the file.
import jpeg from "jpeg-js";
import { fileError } from "../core/errors.js";
import { formatOfName, type ImageFormat, NOT_AN_IMAGE, sniffFormat } from "../core/formats.js";
import { orientPlanes, pngOrientation, webpOrientation } from "../core/exif.js";
import { heifBitDepth, heifSize, heifSizeProblem, heifTransforms } from "../core/heif.js";
import { planesFromRgba, rgba8, rgbaLevels, type PlanarImage } from "../core/image.js";
import { type ByteReader, bytesReader, tiffIfd, tiffSizeProblem } from "../core/tiff.js";
import { readFileChecked, readHeadChecked, readRangeChecked, writeFileAtomic } from "./files.js";
import { jpegSize, jpegSizeProblem } from "../core/jpeg.js";
import { decodeJpegRgba } from "./jpeg.js";
import { webpSize, webpSizeProblem } from "../core/webp.js";
import { decodeWebpRgba, encodeWebpRgba } from "./webp.js";
import { decodeAvifRgba, encodeAvifRgba } from "./avif.js";
import { decodeHeicRgba } from "./heic.js";
import { decodeTiffPlanes, encodeTiffPlanes } from "./tiff.js";

export { jpegSize, MAX_JPEG_PIXELS_PER_BYTE } from "../core/jpeg.js";
import { decodePngPlanes, encodePngPlanes, pngHeader } from "./png.js";

/** What an image file's header says: its format, and its size (undefined when a JPEG's frame header or a HEIF's meta box lies past the bytes read). */
export interface ImageHeader {
  format: ImageFormat;
  width?: number;
  height?: number;
}

/**
 * Checks an image from its first bytes (`head`) and its file size: a PNG's signature and IHDR
 * (pngHeader: size, bit depth, colour type, methods, the pixel limit); a JPEG's frame size, a WebP's
 * first chunk, a TIFF's first directory (read through `read`, which gives bytes anywhere in the
 * file: a TIFF's directory is often at its end) and a HEIF / AVIF's largest declared image against
 * the pixel limit and that format's pixels-a-byte bound. A one-line error naming `name` unless it
 * is sound.
 */
export function imageHeader(
  head: Uint8Array,
  fileBytes: number,
  name: string,
  read: ByteReader = bytesReader(head),
): ImageHeader {
  const format = sniffFormat(head);
  const checked = (size: { width: number; height: number }, problem: string | undefined): ImageHeader => {
    if (problem) fileError(name, problem);
    return { format: format!, width: size.width, height: size.height };
  };
  switch (format) {
    case "png": {
      const { width, height } = pngHeader(head, name);
      return { format, width, height };
    }
    case "webp": {
      const size = webpSize(head);
      if (!size) fileError(name, "corrupt WebP (no VP8, VP8L or VP8X header)");
      return checked(size, webpSizeProblem(size, fileBytes));
    }
    case "tiff": {
      const d = tiffIfd(read);
      if (typeof d === "string") return fileError(name, d);
      return checked(d, tiffSizeProblem(d, fileBytes));
    }
    case "avif":
    case "heic": {
      const size = heifSize(head),
        kind = format === "avif" ? "AVIF" : "HEIC";
      if (size === "more" && head.length < fileBytes) return { format }; // past the bytes read: checked when decoded
      if (!size || size === "more")
        return fileError(name, `corrupt ${kind} (no image size: no ispe box in its meta box)`);
      return checked(size, heifSizeProblem(kind, size, fileBytes));
    }
    case "jpeg": {
      const size = jpegSize(head);
      if (!size) {
        if (head.length >= fileBytes) fileError(name, "corrupt JPEG (no frame header)");
        return { format }; // past the bytes read (large EXIF / ICC segments): decodeJpegPlanes checks it
      }
      return checked(size, jpegSizeProblem(size, fileBytes));
    }
    default:
      return fileError(name, NOT_AN_IMAGE);
  }
}

/**
 * Checks an image file from its header (imageHeader): a PNG's first 33 bytes; a JPEG's or a HEIF's
 * first 4 KiB, or 64 KiB, or 1 MiB, as far as its frame header or meta box lies (after EXIF / ICC
 * segments); a TIFF's first directory, wherever it is.
 */
export function readImageHeader(path: string): ImageHeader {
  let { head, size } = readHeadChecked(path, 2 ** 12);
  const more = (b: Uint8Array) => {
    const f = sniffFormat(b);
    return (f === "jpeg" && !jpegSize(b)) || ((f === "avif" || f === "heic") && heifSize(b) === "more");
  };
  for (const bytes of [2 ** 16, 2 ** 20]) {
    if (!more(head) || head.length >= size) break;
    ({ head, size } = readHeadChecked(path, bytes));
  }
  return imageHeader(head, size, path, (at, n) => readRangeChecked(path, at, n, size));
}

/** Decodes with `decode` (which throws an Error whose message is the problem), as a one-line error naming `name`. */
function decodedBy<T>(name: string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    return fileError(name, (e as Error).message);
  }
}

/**
 * JPEG bytes to planes (gray when every pixel is gray, else RGB; JPEG has no alpha), its header
 * checked first (imageHeader), decoded as libjpeg-turbo does (decodeJpegRgba).
 */
export function decodeJpegPlanes(buf: Uint8Array, name: string): PlanarImage {
  imageHeader(buf, buf.length, name);
  const { width, height, data } = decodedBy(name, () => decodeJpegRgba(buf)); // "corrupt JPEG (<libjpeg's message>)"
  return planesFromRgba(data, width, height); // alpha is 255: no alpha plane
}

/**
 * Image bytes of any format read (sniffFormat) as planes, the header checked first (imageHeader),
 * with one-line errors naming `name`. 16-bit PNG and TIFF, and AVIF of more than 8 bits, come with depth 16.
 */
export function decodeImage(buf: Uint8Array, name: string): PlanarImage {
  const format = sniffFormat(buf);
  switch (format) {
    case "jpeg":
      return decodeJpegPlanes(buf, name);
    case "png": // upright: a PNG's eXIf orientation applied as a JPEG's is
      return orientPlanes(decodePngPlanes(buf, name), pngOrientation(buf));
    case "tiff":
      return decodeTiffPlanes(buf, name);
    case "webp": {
      imageHeader(buf, buf.length, name);
      const { data, width, height } = decodedBy(name, () => decodeWebpRgba(buf));
      return orientPlanes(planesFromRgba(data, width, height), webpOrientation(buf)); // libwebp leaves EXIF to us
    }
    case "avif": {
      imageHeader(buf, buf.length, name);
      const wide = heifBitDepth(buf) > 8;
      const { data, width, height } = decodedBy(name, () => decodeAvifRgba(buf, wide));
      const img = heifTransforms(buf).reduce(orientPlanes, planesFromRgba(data, width, height, wide ? 65535 : 255));
      return wide ? { ...img, depth: 16 } : img; // upright: libavif leaves the file's rotation and mirroring to us
    }
    case "heic": {
      imageHeader(buf, buf.length, name);
      const { data, width, height } = decodedBy(name, () => decodeHeicRgba(buf));
      return planesFromRgba(data, width, height);
    }
    default:
      return fileError(name, NOT_AN_IMAGE);
  }
}

/** Reads an image file as planes: read once, decoded once, with one-line errors. */
export function readImagePlanes(path: string): PlanarImage {
  return decodeImage(readFileChecked(path), path);
}

/**
 * Planes as the bytes of the format `path`'s extension names: JPEG (quality 95, alpha dropped), WebP
 * (lossless), TIFF (deflate; 16 bits for depth 16), AVIF (quality 90, 4:4:4; 12 bits for depth 16);
 * PNG (16 bits for depth 16) for .png and any other extension.
 */
export function encodeImagePlanes(path: string, img: PlanarImage): Uint8Array {
  // Each case converts the planes once (a 12 MP photo's RGBA takes ~0.3 s; JPEG and 16-bit AVIF did it twice).
  const size = { width: img.width, height: img.height };
  switch (formatOfName(path)) {
    case "jpeg":
      return jpeg.encode({ ...size, data: rgba8({ ...img, alpha: undefined }) }, 95).data;
    case "webp":
      return encodeWebpRgba({ ...size, data: rgba8(img) });
    case "tiff":
      return encodeTiffPlanes(img);
    case "avif":
      return encodeAvifRgba({ ...size, data: img.depth === 16 ? rgba12(img) : rgba8(img) });
    default:
      return encodePngPlanes(img);
  }
}

/** Planes as 12-bit RGBA (0..4095): AVIF's widest. */
function rgba12(img: PlanarImage): Uint16Array {
  return rgbaLevels(img, new Uint16Array(4 * img.width * img.height), 4095);
}

/** Writes planes in the format `path`'s extension names (encodeImagePlanes). */
export function writeImagePlanes(path: string, img: PlanarImage): void {
  writeFileAtomic(path, encodeImagePlanes(path, img));
}
