// Ours as a peer: the library as a user installs it (the package's entry, `import "denoise-wasm"`, the
// build `auto` picks unless --build, no V8 flags) denoising a synthetic noisy photo with `denoise`
// and its defaults, timed the way bench/peers/ort.ts times ONNX Runtime, in a process of its own.
//
//   node dist/bench/peers/library.js (--size WxH --planes 1|3 | --image FILE) --threads T [--seconds S]
//        [--warmup W] [--runs N] [--build auto|relaxed|strict|scalar]
//
// Prints one JSON line {"peer":"ours","build":..,"reason":..,"imagesPerSecond":..,"tile":..} after W
// untimed runs (default 1) and timed runs until S seconds and N runs (default 3) have passed.
import type * as Library from "../../host/node/index.js";
import { syntheticPhoto } from "../photo.js";

const arg = (name: string, dflt?: string) => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : dflt;
  if (v === undefined) {
    process.stderr.write(`library peer: --${name} is required\n`);
    process.exit(2);
  }
  return v;
};
const imageFile = process.argv.includes("--image") ? arg("image") : undefined;
const [width, height] = imageFile ? [0, 0] : arg("size").split("x").map(Number),
  planes = imageFile ? 0 : Number(arg("planes")),
  threads = Number(arg("threads", "1")),
  seconds = Number(arg("seconds", "2")),
  warmup = Number(arg("warmup", "1")),
  runs = Number(arg("runs", "3")),
  build = arg("build", "auto");

// The package by its name, resolved as an installed one is (package.json "exports", the "node" entry).
const PACKAGE: string = "denoise-wasm";
const { loadEngine, loadWeights, denoise, readImage } = (await import(PACKAGE)) as typeof Library;

/** A synthetic photo with gaussian noise of σ 15 (a fixed pattern, the same every run). */
function noisyPhoto(): Library.PlanarImage {
  const img = syntheticPhoto(width, height, planes);
  let s = 12345;
  const gauss = () => {
    // Box–Muller on a small LCG: deterministic, no Math.random.
    s = (s * 1103515245 + 12345) >>> 0;
    const u = (s + 1) / 2 ** 32;
    s = (s * 1103515245 + 12345) >>> 0;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos((2 * Math.PI * s) / 2 ** 32);
  };
  for (const p of img.planes)
    for (let i = 0; i < p.length; i++) p[i] = Math.min(1, Math.max(0, p[i] + (15 / 255) * gauss()));
  return img;
}

const rt = await loadEngine({ threads, build: build as Library.BuildName | "auto" });
try {
  const weights = await loadWeights("photo");
  // A file: read (decoded) before the clock starts, as the page has it decoded before its worker runs.
  const image = imageFile ? readImage(imageFile) : noisyPhoto();
  let tiles = 0;
  const once = () => denoise(rt, weights, image, { onProgress: (_d, total) => (tiles = total) });
  for (let i = 0; i < warmup; i++) once();
  const times: number[] = [];
  const end = performance.now() + seconds * 1000;
  do {
    const t0 = performance.now();
    once();
    times.push(performance.now() - t0);
  } while (performance.now() < end || times.length < runs);
  times.sort((a, b) => a - b);
  process.stdout.write(
    JSON.stringify({
      peer: "ours",
      build: rt.build,
      reason: rt.reason,
      threads: rt.threads,
      tiles,
      imagesPerSecond: 1000 / times[(times.length - 1) >> 1],
      iterations: times.length,
      wasmMiB: rt.engine.memory.buffer.byteLength / 2 ** 20,
    }) + "\n",
  );
} finally {
  rt.close();
}
process.exit(0);
