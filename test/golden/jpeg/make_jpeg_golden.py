#!/usr/bin/env python3
"""Golden data for the JPEG simulation (assembly/camera.ts jpegRoundTrip, test/camera-noise.test.ts).

Makes two small RGB images (smooth colour gradients, hard edges and a textured patch) as binary PPM,
and decodes what libjpeg-turbo's cjpeg makes of them with djpeg (Debian's libjpeg-turbo-progs 2.1.5,
default ISLOW DCT and fancy upsampling):
    a.ppm (32x24): a-q75-420.ppm  (cjpeg -quality 75 -sample 2x2)
                   a-q95-444.ppm  (cjpeg -quality 95 -sample 1x1)
    b.ppm (27x21): b-q50-420.ppm  (cjpeg -quality 50 -sample 2x2; sizes not multiples of 8 or 16)
Run from this folder: python3 make_jpeg_golden.py
"""
import subprocess


def image(w, h, seed):
    px = bytearray()
    s = seed
    for y in range(h):
        for x in range(w):
            s = (s * 1103515245 + 12345) & 0x7FFFFFFF
            t = (s >> 16) % 64 - 32 if (x > w // 2 and y > h // 2) else 0  # texture in one quadrant
            r = 40 + 180 * x / (w - 1) + t
            g = 200 - 150 * y / (h - 1) + t
            b = 128 + (90 if (x + 2 * y) % 13 < 6 and y < h // 2 else -60) + t  # stripes: hard edges
            px += bytes(max(0, min(255, round(v))) for v in (r, g, b))
    return px


def write_ppm(path, w, h, px):
    with open(path, "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (w, h) + bytes(px))


def roundtrip(src, dst, quality, sample):
    jpg = subprocess.run(["cjpeg", "-quality", str(quality), "-sample", sample, src], check=True, capture_output=True).stdout
    out = subprocess.run(["djpeg", "-ppm"], input=jpg, check=True, capture_output=True).stdout
    with open(dst, "wb") as f:
        f.write(out)


write_ppm("a.ppm", 32, 24, image(32, 24, 1))
write_ppm("b.ppm", 27, 21, image(27, 21, 2))
roundtrip("a.ppm", "a-q75-420.ppm", 75, "2x2")
roundtrip("a.ppm", "a-q95-444.ppm", 95, "1x1")
roundtrip("b.ppm", "b-q50-420.ppm", 50, "2x2")
