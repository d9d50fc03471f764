// A minimal PNG writer for tests: every colour type, bit depths 1–16, palettes with tRNS, Adam7
// interlacing, and the hooks to damage a file (bad CRC, truncated chunks, lying headers). pngjs
// cannot write palette, sub-byte or interlaced images, and the decoder must read them all.
import { deflateSync } from "node:zlib";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function chunk(type: string, data: Uint8Array, badCrc = false): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE((crc32(Buffer.concat([head.subarray(4), data])) ^ (badCrc ? 1 : 0)) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

export interface CraftOptions {
  width: number;
  height: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA */
  colorType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  interlace?: boolean;
  /** For colour type 3: RGB entries, and optional per-entry alpha (tRNS). */
  palette?: [number, number, number][];
  alpha?: number[];
}

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;
const PASSES = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/** samples(x, y) returns the pixel's channel values (palette index for type 3). */
export function craftPng(o: CraftOptions, samples: (x: number, y: number) => number[]): Buffer {
  const ch = CHANNELS[o.colorType],
    bpp = ch * o.bitDepth;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(o.width, 0);
  ihdr.writeUInt32BE(o.height, 4);
  ihdr[8] = o.bitDepth;
  ihdr[9] = o.colorType;
  ihdr[10] = 0;
  ihdr[11] = 0;
  ihdr[12] = o.interlace ? 1 : 0;
  const rows: Buffer[] = [];
  const passes = o.interlace ? PASSES : [[0, 0, 1, 1]];
  for (const [x0, y0, dx, dy] of passes) {
    const xs: number[] = [];
    for (let x = x0; x < o.width; x += dx) xs.push(x);
    if (!xs.length) continue;
    for (let y = y0; y < o.height; y += dy) {
      const row = Buffer.alloc(1 + Math.ceil((xs.length * bpp) / 8)); // filter byte 0 = none
      let bit = 0;
      for (const x of xs) {
        for (const v of samples(x, y)) {
          if (o.bitDepth === 16) {
            row.writeUInt16BE(v, 1 + bit / 8);
            bit += 16;
          } else if (o.bitDepth === 8) {
            row[1 + bit / 8] = v;
            bit += 8;
          } else {
            row[1 + (bit >> 3)] |= v << (8 - o.bitDepth - (bit & 7));
            bit += o.bitDepth;
          }
        }
      }
      rows.push(row);
    }
  }
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr)];
  if (o.palette) parts.push(chunk("PLTE", Buffer.from(o.palette.flat())));
  if (o.alpha) parts.push(chunk("tRNS", Buffer.from(o.alpha)));
  parts.push(chunk("IDAT", deflateSync(Buffer.concat(rows))), chunk("IEND", Buffer.alloc(0)));
  return Buffer.concat(parts);
}
