// The page's photo Worker: denoises one image at a time with host/core/denoise.ts's
// denoiseWithWeights — the CLI's `denoise` code path, so the output is the CLI's — in tiles of
// bounded memory on the library's runtime (host/browser.ts: a pool of module Workers on one shared memory). It runs off the main
// thread (a pool needs a thread that may Atomics.wait, and a 12 MP photo takes a minute); cancel
// is the page terminating this Worker.
import { denoiseWithWeights, imageSigma } from "../host/core/denoise.js";
import { loadEngine, type Runtime } from "../host/browser.js";
import { luma, planesFromRgba, rgba8, type PlanarImage } from "../host/core/image.js";
import { noisyPhoto, psnr8Planes, scorePhoto } from "../host/core/photoeval.js";
import type { PngChannels } from "../host/core/png-encode.js";
import { decodeSafetensors } from "../host/core/safetensors.js";
import type { DenoiseJob, FromPhotoWorker, ToPhotoWorker } from "./protocol.js";

const ctx = self as unknown as {
  postMessage(m: FromPhotoWorker, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent<ToPhotoWorker>) => void) | null;
};

let runtime: { key: string; rt: Runtime } | undefined;

/** The library's runtime for a build and thread count, kept while they stay the same. */
async function runtimeFor(build: DenoiseJob["build"], threads: number): Promise<Runtime> {
  const key = `${build}/${threads}`;
  if (runtime?.key === key) return runtime.rt;
  runtime?.rt.close();
  runtime = { key, rt: await loadEngine({ build, threads }) };
  return runtime.rt;
}

/** PSNR over every plane (8-bit) and SSIM of the luma, against the image. */
function scores(img: PlanarImage, clean: PlanarImage) {
  return {
    psnr: psnr8Planes(img.planes, clean.planes),
    ssim: scorePhoto(luma(img), luma(clean), img.height, img.width).ssim,
  };
}

async function denoise(job: DenoiseJob): Promise<void> {
  const { engine, pool } = await runtimeFor(job.build, job.threads);
  const st = decodeSafetensors(new Uint8Array(job.weights), job.weightsName);
  const image = planesFromRgba(job.rgba, job.width, job.height);
  const input = job.compare
    ? { ...image, planes: image.planes.map((p, c) => noisyPhoto(p, job.compare!.sigma, job.compare!.seed + c)) }
    : image;
  let plane = 0,
    planes = 1,
    level: number | undefined; // the noise level a model with a noise-level map was given
  const t0 = performance.now();
  const out = denoiseWithWeights(st, job.weightsName, input, {
    engine,
    pool,
    tile: "auto",
    maxBytes: job.maxBytes,
    colour: job.colour,
    sigma: job.sigma === undefined ? undefined : job.sigma / 255,
    strength: job.strength,
    ensemble: job.ensemble,
    onLevel: (l) => (level = l),
    plane: (c, of) => {
      plane = c;
      planes = of;
    },
    progress: (done, total) => ctx.postMessage({ type: "progress", id: job.id, plane, planes, done, total }),
  });
  const seconds = (performance.now() - t0) / 1000;
  const rgba = rgba8(out),
    noisy = job.compare ? rgba8(input) : undefined;
  ctx.postMessage(
    {
      type: "result",
      id: job.id,
      rgba,
      channels: (out.planes.length + (out.alpha ? 1 : 0)) as PngChannels,
      noisy,
      seconds,
      build: engine.build,
      threads: pool?.size ?? 1,
      sigmaEstimate: (level ?? imageSigma(input)) * 255,
      memoryBytes: engine.memory.buffer.byteLength,
      heapTop: engine.heapTop(),
      ...(job.compare ? { scores: { noisy: scores(input, image), denoised: scores(out, image) } } : {}),
    },
    noisy ? [rgba.buffer, noisy.buffer] : [rgba.buffer],
  );
}

ctx.onmessage = (ev) => {
  const { job } = ev.data;
  denoise(job).catch((e: Error) => ctx.postMessage({ type: "error", id: job.id, message: e.message }));
};
