// The image formats the CLI reads, in one table: each one's name, file extensions and whether Node
// writes it (host/node/images.ts has the decoders and encoders), and how a file's first bytes tell
// them apart. Folder runs pick files by these extensions; the output of an input whose format has
// no encoder here (HEIC) is a PNG.
import { isWebp } from "./webp.js";
import { isoBrandFormat } from "./heif.js";
import { isTiff } from "./tiff.js";

export type ImageFormat = "png" | "jpeg" | "webp" | "tiff" | "avif" | "heic";

export const FORMATS: Record<ImageFormat, { name: string; extensions: string[]; writes: boolean }> = {
  png: { name: "PNG", extensions: [".png"], writes: true },
  jpeg: { name: "JPEG", extensions: [".jpg", ".jpeg"], writes: true },
  webp: { name: "WebP", extensions: [".webp"], writes: true },
  tiff: { name: "TIFF", extensions: [".tif", ".tiff"], writes: true },
  avif: { name: "AVIF", extensions: [".avif"], writes: true },
  heic: { name: "HEIC", extensions: [".heic", ".heif"], writes: false },
};

const ALL = Object.keys(FORMATS) as ImageFormat[];
const names = ALL.map((f) => FORMATS[f].name);

/** "PNG, JPEG, WebP, TIFF, AVIF or HEIC": every format read, in words. */
export const FORMAT_NAMES = `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;

/** The one-line reason a file that is none of them is refused. */
export const NOT_AN_IMAGE = `not a ${FORMAT_NAMES} file`;

/** The format a file name's extension names (any case); undefined for another extension. */
export function formatOfName(name: string): ImageFormat | undefined {
  const dot = name.lastIndexOf("."),
    ext = dot < 0 ? "" : name.slice(dot).toLowerCase();
  return ALL.find((f) => FORMATS[f].extensions.includes(ext));
}

const writable = ALL.filter((f) => FORMATS[f].writes).map((f) => FORMATS[f].extensions[0]);
/** The extensions Node writes, in words: ".png, .jpg, .webp, .tif or .avif" (the first of each format). */
export const WRITABLE_EXTENSIONS = `${writable.slice(0, -1).join(", ")} or ${writable.at(-1)}`;

/** The format of a file from its first bytes (12 are enough for all but HEIF/AVIF, which need their ftyp box); undefined if none. */
export function sniffFormat(b: Uint8Array): ImageFormat | undefined {
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return "png";
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "jpeg";
  if (isWebp(b)) return "webp";
  if (isTiff(b)) return "tiff";
  return isoBrandFormat(b);
}
