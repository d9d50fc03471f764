// TensorFlow.js peer for the throughput benchmark: the notebook's conv autoencoder (the `seed`
// architecture) built with tf.layers, timed for inference (model.predict) or training (Adam lr 1e-3,
// MSE, optimizer.minimize) on the stock `wasm` (XNNPACK) or `cpu` (pure JS) backend.
//
//   node dist/bench/peers/tfjs.js --backend wasm|cpu --mode infer|train --batch N [--seconds S]
//        [--threads T] [--warmup W]
//
// Prints exactly one JSON line on stdout (all TF.js chatter goes to stderr):
//   {"peer":"tfjs","version":"4.22.0","backend":..,"mode":..,"batch":N,"threads":T,
//    "imagesPerSecond":x,"msPerIteration":y,"iterations":k, ...}
// or, when the backend cannot run the mode,
//   {"peer":"tfjs",...,"unsupported":"<one-line reason>"}  (exit code 0).
// Bad arguments print a one-line error on stderr and exit 2.

import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";

// Everything TF.js logs (the "install tfjs-node" hint, backend notices) must stay off stdout, which
// carries only the result line. Redirect before TF.js is loaded.
const realStdoutWrite = process.stdout.write.bind(process.stdout);
console.log = (...args: unknown[]) => console.error(...args);
console.info = (...args: unknown[]) => console.error(...args);

type TF = typeof import("@tensorflow/tfjs");
type TFWasm = typeof import("@tensorflow/tfjs-backend-wasm");

interface Options {
  backend: "wasm" | "cpu";
  mode: "infer" | "train";
  batch: number;
  seconds: number;
  threads: number;
  warmup: number;
}

const USAGE =
  "usage: node dist/bench/peers/tfjs.js --backend wasm|cpu --mode infer|train --batch N [--seconds S] [--threads T] [--warmup W]";

function fail(msg: string): never {
  process.stderr.write(`tfjs peer: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = { backend: "wasm", mode: "infer", batch: 1, seconds: 5, threads: 1, warmup: 3 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") {
      process.stderr.write(USAGE + "\n");
      process.exit(0);
    }
    const eq = a.indexOf("=");
    const key = eq >= 0 ? a.slice(0, eq) : a;
    const val = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    if (val === undefined) fail(`${key} needs a value`);
    const num = (min: number, int: boolean): number => {
      const n = Number(val);
      if (!Number.isFinite(n) || n < min || (int && !Number.isInteger(n))) fail(`${key}: bad value '${val}'`);
      return n;
    };
    switch (key) {
      case "--backend":
        if (val !== "wasm" && val !== "cpu") fail(`--backend must be wasm or cpu, got '${val}'`);
        o.backend = val;
        break;
      case "--mode":
        if (val !== "infer" && val !== "train") fail(`--mode must be infer or train, got '${val}'`);
        o.mode = val;
        break;
      case "--batch":
        o.batch = num(1, true);
        break;
      case "--seconds":
        o.seconds = num(0, false);
        break;
      case "--threads":
        o.threads = num(1, true);
        break;
      case "--warmup":
        o.warmup = num(0, true);
        break;
      default:
        fail(`unknown argument '${a}'`);
    }
  }
  return o;
}

/**
 * The notebook's ConvAutoencoder in NHWC. PyTorch's padding=1 on the stride-2 3×3 convs pads one
 * row/column on each side, of which the last one is never read; TF's 'same' pads only bottom/right,
 * giving the same 14×14 and 7×7 outputs with the same multiply-adds. ConvTranspose2d(k3, s2, p1,
 * op1) maps n → 2n, as TF's 'same' conv2dTranspose does; the k7 layers are 'valid'. 210 369
 * parameters, as in PyTorch.
 */
function buildModel(tf: TF) {
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [28, 28, 1],
      filters: 16,
      kernelSize: 3,
      strides: 2,
      padding: "same",
      activation: "relu",
    }),
  );
  m.add(tf.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: "same", activation: "relu" }));
  m.add(tf.layers.conv2d({ filters: 64, kernelSize: 7, padding: "valid" }));
  m.add(tf.layers.conv2dTranspose({ filters: 32, kernelSize: 7, padding: "valid", activation: "relu" }));
  m.add(tf.layers.conv2dTranspose({ filters: 16, kernelSize: 3, strides: 2, padding: "same", activation: "relu" }));
  m.add(tf.layers.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, padding: "same", activation: "sigmoid" }));
  return m;
}

function oneLine(e: unknown): string {
  const msg =
    e instanceof Error
      ? e.message
      : typeof e === "object" && e && "message" in e
        ? String((e as { message: unknown }).message)
        : String(e);
  return msg.replace(/\s+/g, " ").trim();
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const require = createRequire(import.meta.url);
  const tf: TF = await import("@tensorflow/tfjs");
  const version = tf.version.tfjs;
  const base: Record<string, unknown> = {
    peer: "tfjs",
    version,
    backend: o.backend,
    mode: o.mode,
    batch: o.batch,
    threads: 1,
    threadsRequested: o.threads,
  };
  const emit = (obj: Record<string, unknown>): void => {
    realStdoutWrite(JSON.stringify(obj) + "\n");
  };

  if (o.backend === "wasm") {
    const tfw: TFWasm = await import("@tensorflow/tfjs-backend-wasm");
    // Load the .wasm binaries from the installed package (no network): the directory holding
    // tfjs-backend-wasm*.wasm next to the package's Node entry point.
    const wasmDir = dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
    tfw.setWasmPaths(join(wasmDir, "/"));
    // Only takes effect with the threaded-SIMD binary, which TF.js never picks in Node
    // (WASM_HAS_MULTITHREAD_SUPPORT is hard-coded false there, tfjs issue #3830).
    tfw.setThreadsCount(o.threads);
    try {
      if (!(await tf.setBackend("wasm"))) throw new Error("tf.setBackend('wasm') returned false");
      await tf.ready();
    } catch (e) {
      emit({ ...base, unsupported: `wasm backend failed to initialise: ${oneLine(e)}` });
      return;
    }
    base.threads = tfw.getThreadsCount();
    base.simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    base.multithread = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
  } else {
    // tfjs-backend-cpu is plain single-threaded JavaScript.
    await tf.setBackend("cpu");
    await tf.ready();
    base.threads = 1;
  }
  if (tf.getBackend() !== o.backend) {
    emit({ ...base, unsupported: `backend '${o.backend}' not active (got '${tf.getBackend()}')` });
    return;
  }

  tf.randomUniform([1], 0, 1, "float32", 1).dispose(); // touch the backend
  const model = buildModel(tf);
  const clean = tf.randomUniform([o.batch, 28, 28, 1], 0, 1, "float32", 1);
  const noisy = tf.tidy(() => clean.add(tf.randomNormal([o.batch, 28, 28, 1], 0, 0.5, "float32", 2)));

  let step: () => void;
  if (o.mode === "infer") {
    step = () => {
      const y = model.predict(noisy) as import("@tensorflow/tfjs").Tensor;
      y.dataSync();
      y.dispose();
    };
  } else {
    // Same as PyTorch's Adam defaults (eps 1e-8; TF.js would default to 1e-7).
    const opt = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
    const vars = model.trainableWeights.map((w) => w.read() as import("@tensorflow/tfjs").Variable);
    step = () => {
      const cost = opt.minimize(
        () =>
          tf.losses.meanSquaredError(
            clean,
            model.apply(noisy, { training: true }) as import("@tensorflow/tfjs").Tensor,
          ) as import("@tensorflow/tfjs").Scalar,
        true,
        vars,
      );
      if (cost) {
        cost.dataSync();
        cost.dispose();
      }
    };
  }

  // Warm-up: at least one iteration (the first one allocates and, for training, reveals a missing
  // kernel); then more until --warmup iterations and min(0.5 s, --seconds / 4) have both passed, but
  // never once warm-up has taken --seconds (TF.js cpu training: seconds per iteration).
  const w0 = performance.now();
  try {
    step();
  } catch (e) {
    emit({ ...base, unsupported: oneLine(e) });
    return;
  }
  const warmMs = Math.min(500, o.seconds * 250);
  let warmup = 1;
  for (
    let el = performance.now() - w0;
    (warmup < o.warmup || el < warmMs) && el < o.seconds * 1000;
    el = performance.now() - w0
  ) {
    step();
    warmup++;
  }

  // Timed: iterations until --seconds have passed, at least one.
  let iterations = 0;
  const t0 = performance.now();
  let t = t0;
  do {
    step();
    iterations++;
    t = performance.now();
  } while (t - t0 < o.seconds * 1000);
  const elapsed = (t - t0) / 1000;

  emit({
    ...base,
    imagesPerSecond: (o.batch * iterations) / elapsed,
    msPerIteration: (elapsed * 1000) / iterations,
    iterations,
    warmup,
  });
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`tfjs peer: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
