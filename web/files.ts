// Reading the user's files in the page: decoding an image file (as it is, or as gray samples for
// training): a JPEG with the library's decoder (libjpeg-turbo's, the CLI's: the same pixels as
// `denoise-wasm denoise` reads), anything else with the browser's own; and the files of a
// drag-and-drop, dropped folders walked.
import { decodeJpeg } from "../host/browser.js";
import { planesFromRgba } from "../host/core/image.js";

/** A decoded file: 8-bit RGBA as the browser's decoder gives it. */
export interface Decoded {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

/**
 * Decodes a JPEG as the CLI does (decodeJpeg: libjpeg-turbo's pixels turned upright by its EXIF orientation,
 * the CLI's size limits), and any other image file the browser can, without colour-space conversion
 * or premultiplying.
 */
export async function decodeFile(file: Blob): Promise<Decoded> {
  const head = new Uint8Array(await file.slice(0, 3).arrayBuffer());
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) {
    const d = await decodeJpeg(new Uint8Array(await file.arrayBuffer())); // its errors say what is wrong
    return { width: d.width, height: d.height, rgba: d.data };
  }
  let bmp: ImageBitmap;
  try {
    bmp = await createImageBitmap(file, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  } catch {
    throw new Error("the browser cannot decode it as an image");
  }
  try {
    const c = new OffscreenCanvas(bmp.width, bmp.height),
      g = c.getContext("2d", { willReadFrequently: true })!;
    g.drawImage(bmp, 0, 0);
    return { width: bmp.width, height: bmp.height, rgba: g.getImageData(0, 0, bmp.width, bmp.height).data };
  } finally {
    bmp.close();
  }
}

/**
 * A photo file as R, G and B planes one after another (a gray photo: its plane three times), as
 * `train --images` reads one for a colour model; the training Worker takes the luma for a gray one.
 */
export async function photoOf(
  file: File,
): Promise<{ name: string; width: number; height: number; pixels: Float32Array }> {
  const d = await decodeFile(file);
  const { planes } = planesFromRgba(d.rgba, d.width, d.height),
    n = d.width * d.height,
    pixels = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) pixels.set(planes[planes.length === 3 ? c : 0], c * n);
  return { name: file.webkitRelativePath || file.name, width: d.width, height: d.height, pixels };
}

/** The files of a drop: plain files, and every file inside dropped folders. */
export async function filesOf(dt: DataTransfer): Promise<File[]> {
  const entries = Array.from(dt.items)
    .map((i) => i.webkitGetAsEntry?.())
    .filter((e): e is FileSystemEntry => !!e);
  if (!entries.length) return Array.from(dt.files);
  const out: File[] = [];
  const walk = async (e: FileSystemEntry): Promise<void> => {
    if (e.isFile) out.push(await new Promise<File>((res, rej) => (e as FileSystemFileEntry).file(res, rej)));
    else if (e.isDirectory) {
      const reader = (e as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
        if (!batch.length) break;
        for (const x of batch) await walk(x);
      }
    }
  };
  for (const e of entries) await walk(e);
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}
