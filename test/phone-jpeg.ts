// A JPEG as a phone writes it, for the metadata tests of the CLI (test/metadata.test.ts) and the page
// (test/browser.test.ts): EXIF with orientation 6 (held upright), a camera make and GPS, XMP, an ICC profile.
import type { Metadata } from "../host/core/metadata.js";
import { withJpegMetadata } from "../host/core/metadata.js";
import { encodeImagePlanes } from "../host/node/images.js";

/** A little-endian TIFF block: IFD0 with Make, Orientation and a GPS IFD pointer; the GPS IFD with GPSLatitudeRef. */
export function exifBlock(orientation: number): Uint8Array {
  const b = Buffer.alloc(120);
  b.write("II", 0, "latin1");
  b.writeUInt16LE(42, 2);
  b.writeUInt32LE(8, 4);
  b.writeUInt16LE(3, 8); // three entries
  const entry = (k: number, tag: number, type: number, count: number, value: number) => {
    const e = 10 + 12 * k;
    b.writeUInt16LE(tag, e);
    b.writeUInt16LE(type, e + 2);
    b.writeUInt32LE(count, e + 4);
    b.writeUInt32LE(value, e + 8);
  };
  entry(0, 0x010f, 2, 8, 90); // Make, ASCII, 8 bytes at offset 90
  entry(1, 0x0112, 3, 1, orientation); // Orientation, SHORT
  entry(2, 0x8825, 4, 1, 60); // GPS IFD at 60
  b.writeUInt32LE(0, 10 + 36); // no next IFD
  b.writeUInt16LE(1, 60); // GPS IFD: one entry
  b.writeUInt16LE(0x0001, 62); // GPSLatitudeRef
  b.writeUInt16LE(2, 64);
  b.writeUInt32LE(2, 66);
  b.write("N\0", 70, "latin1");
  b.writeUInt32LE(0, 74);
  b.write("Phone99\0", 90, "latin1");
  return b;
}

export const XMP = Buffer.from(
  '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="denoise-wasm test"/></rdf:RDF></x:xmpmeta>',
);
/** A minimal ICC header (128 bytes + empty tag table): exifr reads its fields. */
export function iccProfile(): Uint8Array {
  const p = Buffer.alloc(132);
  p.writeUInt32BE(132, 0);
  p.write("test", 4, "latin1");
  p.writeUInt32BE(0x04300000, 8);
  p.write("mntr", 12, "latin1");
  p.write("RGB ", 16, "latin1");
  p.write("XYZ ", 20, "latin1");
  p.write("acsp", 36, "latin1");
  return p;
}

/**
 * A W × H colour gradient as a JPEG whose EXIF says orientation 6 (so it shows H × W), with XMP and
 * an ICC profile, at 300 dpi; md is what it holds.
 */
export function phoneJpeg(W: number, H: number): { bytes: Buffer; md: Required<Metadata> } {
  const planes = [0, 1, 2].map((c) => new Float32Array(W * H).map((_, i) => ((i % W) * 4 + c * 30) / 255));
  const plain = encodeImagePlanes("x.jpg", { width: W, height: H, planes });
  const md = { exif: exifBlock(6), xmp: XMP, icc: iccProfile(), density: { x: 300, y: 300, unit: "inch" as const } };
  // The orientation tag as it is (withJpegMetadata would reset it), then XMP and ICC.
  const app1 = (id: string, body: Uint8Array) => {
    const b = Buffer.concat([Buffer.from(id, "latin1"), body]);
    return Buffer.concat([Buffer.from([0xff, 0xe1, (b.length + 2) >> 8, (b.length + 2) & 255]), b]);
  };
  const rest = withJpegMetadata(plain, { xmp: md.xmp, icc: md.icc, density: md.density });
  return { bytes: Buffer.concat([rest.subarray(0, 2), app1("Exif\0\0", md.exif), rest.subarray(2)]), md };
}
