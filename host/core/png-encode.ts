// PNG writing where no PNG library is at hand (the page): 8-bit gray, gray + alpha, RGB or RGBA
// from RGBA bytes, so a download is of the image's own kind as the CLI writes it (a canvas's
// toBlob always writes RGBA, and from premultiplied pixels); and the chunks (written and read) and
// zlib streams PNG metadata needs (host/core/metadata.ts, host/core/exif.ts). Deflate and inflate are the platform's own
// CompressionStream / DecompressionStream("deflate") (zlib format, as PNG wants; browsers and Node ≥ 18).
// Format: https://www.w3.org/TR/png-3/ (signature, IHDR, IDAT, IEND; filter type 1, Sub, per row).

/** PNG colour type by the number of channels written: gray, gray + alpha, RGB, RGBA. */
const COLOUR_TYPE = { 1: 0, 2: 4, 3: 2, 4: 6 } as const;
/** Which RGBA samples each channel count takes. */
const SAMPLES = { 1: [0], 2: [0, 3], 3: [0, 1, 2], 4: [0, 1, 2, 3] } as const;

export type PngChannels = 1 | 2 | 3 | 4;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One chunk: length, type, data, CRC of type + data. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length),
    v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** The chunks of PNG bytes after the signature, up to IEND (not included): type and data, bounds-checked. */
export function* pngChunks(b: Uint8Array): Generator<{ type: string; data: Uint8Array }> {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let at = 8; at + 12 <= b.length; ) {
    const len = dv.getUint32(at),
      type = String.fromCharCode(...b.subarray(at + 4, at + 8));
    if (type === "IEND") return;
    yield { type, data: b.subarray(at + 8, Math.min(b.length, at + 8 + len)) };
    at += 12 + len;
  }
}

/** A zlib stream (RFC 1950) of the bytes. */
export async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The bytes a zlib stream inflates to; rejects when it is damaged or inflates past maxBytes (a bomb is not followed). */
export async function inflate(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const reader = new Blob([bytes as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream("deflate"))
    .getReader();
  const parts: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > maxBytes) {
      await reader.cancel();
      throw new Error(`inflates past ${maxBytes} bytes`);
    }
    parts.push(value);
  }
  return concatBytes(parts);
}

/** The parts one after another in new memory. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * An 8-bit PNG of `channels` channels from `width` × `height` RGBA bytes: 1 writes R as gray (the
 * caller knows R = G = B), 2 gray and alpha, 3 RGB, 4 RGBA.
 */
export async function encodePng(
  rgba: ArrayLike<number>,
  width: number,
  height: number,
  channels: PngChannels,
): Promise<Uint8Array> {
  if (rgba.length < 4 * width * height) throw new Error(`${width}×${height} RGBA needs ${4 * width * height} bytes`);
  const take = SAMPLES[channels],
    stride = width * channels,
    raw = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    const row = y * (stride + 1);
    raw[row] = 1; // Sub: each byte minus the same channel's byte one pixel to the left
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++) {
        const here = rgba[4 * (y * width + x) + take[c]],
          left = x > 0 ? rgba[4 * (y * width + x - 1) + take[c]] : 0;
        raw[row + 1 + x * channels + c] = (here - left) & 0xff;
      }
  }
  const ihdr = new Uint8Array(13),
    v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, COLOUR_TYPE[channels], 0, 0, 0], 8); // bit depth 8, colour type, deflate, filters, no interlace
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", await deflate(raw)),
    pngChunk("IEND", new Uint8Array()),
  ];
  return concatBytes(parts);
}
