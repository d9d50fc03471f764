// ONNX Runtime peer for the throughput benchmark: our exported model (bench/peers/onnx-file.ts) run
// for inference by onnxruntime-web (its wasm backend, in Node) or onnxruntime-node (native CPU, its
// bundled runtime; both devDependencies, see package.json's allowScripts).
//
//   node dist/bench/peers/ort.js --runtime web|node --model FILE --shape CxHxW --mode infer --batch N
//        --threads T [--seconds S] [--warmup W]
//
// Prints one JSON line {"peer":"ort-<runtime>","version":..,"imagesPerSecond":..} or {"unsupported":..}.
import { readFileSync } from "node:fs";

const arg = (name: string, dflt?: string) => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : dflt;
  if (v === undefined) {
    process.stderr.write(`ort peer: --${name} is required\n`);
    process.exit(2);
  }
  return v;
};
const runtime = arg("runtime"),
  mode = arg("mode"),
  batch = Number(arg("batch")),
  threads = Number(arg("threads", "1"));
const seconds = Number(arg("seconds", "2")),
  warmup = Number(arg("warmup", "3")),
  shape = arg("shape").split("x").map(Number),
  model = arg("model");
const emit = (o: Record<string, unknown>) =>
  process.stdout.write(JSON.stringify({ peer: `ort-${runtime}`, mode, batch, threads, ...o }) + "\n");

interface Ort {
  env: { wasm?: { numThreads?: number }; versions?: Record<string, string> };
  Tensor: new (type: "float32", data: Float32Array, dims: number[]) => unknown;
  InferenceSession: {
    create(
      bytes: Uint8Array,
      options: Record<string, unknown>,
    ): Promise<{ run(feeds: Record<string, unknown>): Promise<unknown> }>;
  };
}

if (mode !== "infer") {
  emit({ unsupported: "ONNX Runtime runs inference only" });
} else {
  let ort: Ort | undefined,
    version = "";
  try {
    const name = runtime === "web" ? "onnxruntime-web" : "onnxruntime-node";
    ort = (await import(name)) as unknown as Ort;
    version = ort.env.versions?.[runtime] ?? ort.env.versions?.common ?? "";
  } catch (e) {
    emit({
      unsupported:
        runtime === "web"
          ? `onnxruntime-web missing (${(e as Error).message.split("\n")[0]})`
          : "onnxruntime-node missing (a devDependency: npm ci installs it)",
    });
  }
  if (ort) {
    const options: Record<string, unknown> =
      runtime === "web"
        ? { executionProviders: ["wasm"] }
        : { executionProviders: ["cpu"], intraOpNumThreads: threads, interOpNumThreads: 1 };
    if (runtime === "web" && ort.env.wasm) ort.env.wasm.numThreads = threads;
    const session = await ort.InferenceSession.create(readFileSync(model), options);
    const x = new Float32Array(batch * shape[0] * shape[1] * shape[2]).map((_, i) =>
      (i * 7919) % 13 < 3 ? (i % 255) / 255 : 0,
    );
    const feeds = { input: new ort.Tensor("float32", x, [batch, ...shape]) };
    for (let i = 0; i < warmup; i++) await session.run(feeds);
    const times: number[] = [];
    const end = performance.now() + seconds * 1000;
    do {
      const t0 = performance.now();
      await session.run(feeds);
      times.push(performance.now() - t0);
    } while (performance.now() < end || times.length < 3);
    times.sort((a, b) => a - b);
    emit({ version, imagesPerSecond: (1000 * batch) / times[times.length >> 1], iterations: times.length });
  }
}
process.exit(0);
