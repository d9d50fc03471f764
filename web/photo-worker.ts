// The page's photo Worker: denoises one image at a time with host/core/denoise.ts's
// denoiseWithWeights — the CLI's `denoise` code path, so the output is the CLI's — in tiles of
// bounded memory on a pool of threads (module Workers on one shared memory). It runs off the main
// thread (a pool needs a thread that may Atomics.wait, and a 12 MP photo takes a minute); cancel
// is the page terminating this Worker.
import { denoiseWithWeights, imageSigma } from "../host/core/denoise.js";
import { loadEngine, wasmFile, type Engine } from "../host/core/engine.js";
import { luma, planesFromRgba, rgba8, type PlanarImage } from "../host/core/image.js";
import { noisyPhoto, psnr8Planes, scorePhoto } from "../host/core/photoeval.js";
import { ThreadPool } from "../host/core/pool.js";
import { decodeSafetensors } from "../host/core/safetensors.js";
import { spawnThread } from "./threads.js";
import type { DenoiseJob, FromPhotoWorker, ToPhotoWorker } from "./protocol.js";

const ctx = self as unknown as {
  postMessage(m: FromPhotoWorker, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent<ToPhotoWorker>) => void) | null;
};

let runtime: { key: string; engine: Engine; pool?: ThreadPool } | undefined;

/** The engine and pool for a build and thread count, kept while they stay the same. */
async function runtimeFor(build: DenoiseJob["build"], threads: number): Promise<{ engine: Engine; pool?: ThreadPool }> {
  const n = threads > 1 && crossOriginIsolated ? threads : 1, key = `${build}/${n}`;
  if (runtime?.key === key) return runtime;
  runtime?.pool?.close();
  const engine = await loadEngine(async (b, t) => (await fetch(new URL(`../../build/${wasmFile(b, t)}`, import.meta.url))).arrayBuffer(), { build, threads: n > 1 });
  runtime = { key, engine, pool: n > 1 ? await ThreadPool.create(engine, n, spawnThread) : undefined };
  return runtime;
}

/** PSNR over every plane (8-bit) and SSIM of the luma, against the image. */
function scores(img: PlanarImage, clean: PlanarImage) {
  return { psnr: psnr8Planes(img.planes, clean.planes), ssim: scorePhoto(luma(img), luma(clean), img.height, img.width).ssim };
}

async function denoise(job: DenoiseJob): Promise<void> {
  const { engine, pool } = await runtimeFor(job.build, job.threads);
  const st = decodeSafetensors(new Uint8Array(job.weights), job.weightsName);
  const image = planesFromRgba(job.rgba, job.width, job.height);
  const input = job.compare
    ? { ...image, planes: image.planes.map((p, c) => noisyPhoto(p, job.compare!.sigma, job.compare!.seed + c)) }
    : image;
  let plane = 0, planes = 1;
  const t0 = performance.now();
  const out = denoiseWithWeights(st, job.weightsName, input, {
    engine, pool, tile: "auto", maxBytes: job.maxBytes, colour: job.colour,
    sigma: job.sigma === undefined ? undefined : job.sigma / 255, ensemble: job.ensemble,
    plane: (c, of) => { plane = c; planes = of; },
    progress: (done, total) => ctx.postMessage({ type: "progress", id: job.id, plane, planes, done, total }),
  });
  const seconds = (performance.now() - t0) / 1000;
  const rgba = rgba8(out), noisy = job.compare ? rgba8(input) : undefined;
  ctx.postMessage({
    type: "result", id: job.id, rgba, noisy, seconds, build: engine.build, threads: pool?.size ?? 1,
    sigmaEstimate: imageSigma(input) * 255, memoryBytes: engine.memory.buffer.byteLength, heapTop: engine.heapTop(),
    ...(job.compare ? { scores: { noisy: scores(input, image), denoised: scores(out, image) } } : {}),
  }, noisy ? [rgba.buffer, noisy.buffer] : [rgba.buffer]);
}

ctx.onmessage = (ev) => {
  const { job } = ev.data;
  denoise(job).catch((e: Error) => ctx.postMessage({ type: "error", id: job.id, message: e.message }));
};
