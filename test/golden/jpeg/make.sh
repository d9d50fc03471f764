#!/bin/sh
# Regenerates test/golden/jpeg/: small JPEGs made here by libjpeg-turbo's cjpeg from crops of the
# committed test photos (data/photos/test/), and libjpeg's own decodes of them by djpeg (default
# settings: ISLOW IDCT, fancy upsampling) as binary PPM / PGM, which test/jpeg.test.ts compares our
# decoder with. Needs Debian's libjpeg-turbo-progs (cjpeg, djpeg) and node_modules (pngjs); run from
# the package root: sh test/golden/jpeg/make.sh. The tests read only the committed files.
set -eu
out=test/golden/jpeg
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# crop <png> <x> <y> <w> <h> <ppm>: a crop of a PNG (colour or gray) as binary PPM.
crop() {
  node --input-type=module -e '
    import { readFileSync, writeFileSync } from "node:fs";
    import pngjs from "pngjs";
    const [src, x0, y0, w, h, dst] = process.argv.slice(1);
    const p = pngjs.PNG.sync.read(readFileSync(src));
    const out = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let c = 0; c < 3; c++) out[(y * w + x) * 3 + c] = p.data[((+y0 + y) * p.width + +x0 + x) * 4 + c];
    writeFileSync(dst, Buffer.concat([Buffer.from(`P6\n${w} ${h}\n255\n`), out]));
  ' "$@"
}
crop data/photos/test/astronaut.png 180 60 61 47 "$tmp/astronaut.ppm"
crop data/photos/test/coffee.png 250 150 64 48 "$tmp/coffee.ppm"
crop data/photos/test/chelsea.png 200 100 57 43 "$tmp/chelsea.ppm"
crop data/photos/test/camera.png 200 100 61 47 "$tmp/camera.ppm"
# name, source, cjpeg options
while read -r name src opts; do
  # shellcheck disable=SC2086
  cjpeg $opts -outfile "$out/$name.jpg" "$tmp/$src.ppm"
  ext=ppm
  case "$name" in gray*) ext=pgm ;; esac
  djpeg -outfile "$out/$name.$ext" "$out/$name.jpg"
done <<LIST
s444-61x47 astronaut -quality 80 -sample 1x1
s422-61x47 astronaut -quality 80 -sample 2x1
s420-61x47 astronaut -quality 80 -sample 2x2
s440-61x47 astronaut -quality 80 -sample 1x2
s411-61x47 astronaut -quality 80 -sample 4x1
s420-64x48-progressive coffee -quality 60 -sample 2x2 -progressive
s422-57x43-progressive chelsea -quality 90 -sample 2x1 -progressive
s420-57x43-restart chelsea -quality 50 -sample 2x2 -restart 1
gray-61x47 camera -quality 75 -grayscale
gray-61x47-progressive camera -quality 75 -grayscale -progressive
LIST
ls -l "$out"
