// ONNX export (host/core/onnx.ts, `denoise-wasm export --onnx`). The file is read back field by
// field with a small protobuf reader here (always runs), then run in ONNX Runtime and compared with
// the engine's Model.forward (strict build): seed (data/seed-mixed.safetensors) and the default
// unet24 (data/default.safetensors) on the 8 golden noisy digits and at 40×36 (a size both map
// onto themselves), and a made-up net with every op and non-square geometry.
//
// Runtimes: onnxruntime-web (a devDependency; in Node its `node` export loads
// ort-wasm-simd-threaded.{mjs,wasm} from its own dist/ folder, no network; one thread) and
// onnxruntime-node (also a devDependency: its bundled native CPU runtime; package.json's allowScripts
// denies its postinstall, which would download CUDA providers from outside the npm registry). A runtime that is not
// installed skips its tests with the reason printed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Arch } from "../host/core/arch.js";
import { paddedSize } from "../host/core/denoise.js";
import { Model } from "../host/core/model.js";
import { encodeOnnx, ONNX_IR_VERSION, ONNX_OPSET } from "../host/core/onnx.js";
import { planLayers } from "../host/core/plan.js";
import { encodeSafetensors, type Tensor } from "../host/core/safetensors.js";
import { archOf, applyWeights } from "../host/core/weights.js";
import { openNodeEngine } from "../host/node/engine.js";
import { PACKAGE_ROOT, readSafetensors } from "../host/node/files.js";
import { diff, goldenF32, runCli, testRandom } from "./helpers.js";

const SEED_FILE = fileURLToPath(new URL("../../data/seed-mixed.safetensors", import.meta.url));
const DEFAULT_FILE = fileURLToPath(new URL("../../data/default.safetensors", import.meta.url));
const PHOTO_FILE = fileURLToPath(new URL("../../data/photo.safetensors", import.meta.url));
const engine = await openNodeEngine({ build: "strict" });

// ---- A protobuf reader: just enough to read back what the encoder writes.

type Value = number | Uint8Array;
type Message = Map<number, Value[]>;

/** Fields by number, in order; varints as numbers, fixed32 as f32 (only floats use it here), bytes as views. */
function decode(b: Uint8Array): Message {
  const m: Message = new Map();
  let p = 0;
  const varint = () => {
    let v = 0,
      scale = 1,
      byte: number;
    do {
      byte = b[p++];
      v += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte & 0x80);
    return v;
  };
  while (p < b.length) {
    const key = varint(),
      field = Math.floor(key / 8),
      wire = key & 7;
    let v: Value;
    if (wire === 0) v = varint();
    else if (wire === 2) {
      const n = varint();
      v = b.subarray(p, p + n);
      p += n;
    } else if (wire === 5) {
      v = new DataView(b.buffer, b.byteOffset + p, 4).getFloat32(0, true);
      p += 4;
    } else throw new Error(`unexpected wire type ${wire} at byte ${p}`);
    if (p > b.length) throw new Error("field runs past the end of its message");
    if (!m.has(field)) m.set(field, []);
    m.get(field)!.push(v);
  }
  return m;
}

const all = (m: Message, f: number) => m.get(f) ?? [];
const nums = (m: Message, f: number) => all(m, f) as number[];
const msgs = (m: Message, f: number) => (all(m, f) as Uint8Array[]).map(decode);
const strs = (m: Message, f: number) => (all(m, f) as Uint8Array[]).map((b) => new TextDecoder().decode(b));
const str = (m: Message, f: number) => strs(m, f)[0];

/** A graph value's shape: dim_value numbers, dim_param names. */
function valueShape(vi: Message): (number | string)[] {
  const tensorType = msgs(msgs(vi, 2)[0], 1)[0];
  assert.deepEqual(nums(tensorType, 1), [1], "elem_type FLOAT");
  return msgs(msgs(tensorType, 2)[0], 1).map((d) => (d.has(1) ? nums(d, 1)[0] : str(d, 2)));
}

interface Node {
  op: string;
  name: string;
  inputs: string[];
  output: string;
  attrs: Map<string, number | number[]>;
}

function readModel(bytes: Uint8Array) {
  const model = decode(bytes);
  const graph = msgs(model, 7)[0];
  const nodes: Node[] = msgs(graph, 1).map((n) => ({
    op: str(n, 4),
    name: str(n, 3),
    inputs: strs(n, 1),
    output: strs(n, 2)[0],
    attrs: new Map(
      msgs(n, 5).map((a) => {
        const type = nums(a, 20)[0];
        return [str(a, 1), type === 7 ? nums(a, 8) : type === 2 ? nums(a, 3)[0] : nums(a, 2)[0]];
      }),
    ),
  }));
  const initializers = new Map(
    msgs(graph, 5).map((t) => {
      const raw = all(t, 9)[0] as Uint8Array;
      assert.deepEqual(nums(t, 2), [1], "data_type FLOAT");
      return [str(t, 8), { shape: nums(t, 1), data: new Float32Array(raw.slice().buffer) }];
    }),
  );
  return {
    irVersion: nums(model, 1)[0],
    producer: str(model, 2),
    opsets: msgs(model, 8).map((o) => [str(o, 1) ?? "", nums(o, 2)[0]]),
    props: new Map(msgs(model, 14).map((e) => [str(e, 1), str(e, 2)])),
    inputs: msgs(graph, 11).map((v) => [str(v, 1), valueShape(v)]),
    outputs: msgs(graph, 12).map((v) => [str(v, 1), valueShape(v)]),
    nodes,
    initializers,
  };
}

const fileOf = (path: string) => {
  const st = readSafetensors(path);
  return { st, arch: archOf(st, path, "seed") };
};

test("the ONNX file holds the graph (opset 13, dynamic batch/height/width) and the weights bit for bit", () => {
  for (const path of [SEED_FILE, DEFAULT_FILE]) {
    const { st, arch } = fileOf(path);
    const m = readModel(encodeOnnx(arch, st.tensors));
    assert.equal(m.irVersion, ONNX_IR_VERSION);
    assert.deepEqual(m.opsets, [["", ONNX_OPSET]]);
    assert.equal(m.producer, "denoise-wasm");
    assert.deepEqual(m.inputs, [["input", ["batch", 1, "height", "width"]]]);
    assert.deepEqual(m.outputs, [["output", ["batch", 1, "height", "width"]]]);
    assert.deepEqual(JSON.parse(m.props.get("arch_json")!), arch);
    const plan = planLayers(arch);
    assert.equal(m.nodes.length, plan.layers.length);
    assert.equal(m.nodes[0].inputs[0], "input");
    assert.equal(m.nodes.at(-1)!.output, "output");
    // Every parameter, and nothing else, with its exact shape and bits.
    assert.deepEqual(
      [...m.initializers.keys()],
      plan.tensors.map((t) => t.name),
    );
    for (const t of plan.tensors) {
      const init = m.initializers.get(t.name)!;
      assert.deepEqual(init.shape, t.shape, t.name);
      assert.deepEqual(init.data, st.tensors.get(t.name)!.data, t.name);
    }
  }
  const seed = readModel(encodeOnnx(fileOf(SEED_FILE).arch, fileOf(SEED_FILE).st.tensors));
  assert.deepEqual(
    seed.nodes.map((n) => n.op),
    [
      "Conv",
      "Relu",
      "Conv",
      "Relu",
      "Conv",
      "ConvTranspose",
      "Relu",
      "ConvTranspose",
      "Relu",
      "ConvTranspose",
      "Sigmoid",
    ],
  );
  const d2 = seed.nodes[7];
  assert.deepEqual([d2.name, d2.inputs.slice(1)], ["decoder.2", ["decoder.2.weight", "decoder.2.bias"]]);
  assert.deepEqual(Object.fromEntries(d2.attrs), {
    kernel_shape: [3, 3],
    strides: [2, 2],
    pads: [1, 1, 1, 1],
    dilations: [1, 1],
    group: 1,
    output_padding: [1, 1],
  });
  const unet = readModel(encodeOnnx(fileOf(DEFAULT_FILE).arch, fileOf(DEFAULT_FILE).st.tensors));
  const adds = unet.nodes.filter((n) => n.op === "Add");
  // up2 + s2, up1 + s1 (the leaky ReLU outputs with those ids), out + the network input.
  const producer = (v: string) => unet.nodes.find((n) => n.output === v)!;
  assert.deepEqual(
    adds.map((n) => [
      producer(n.inputs[0]).name,
      n.inputs[1] === "input" ? "input" : producer(producer(n.inputs[1]).inputs[0]).name,
    ]),
    [
      ["up2", "enc2.1"],
      ["up1", "enc1.1"],
      ["out", "input"],
    ],
  );
  assert.equal(unet.nodes.find((n) => n.op === "LeakyRelu")!.attrs.get("alpha"), Math.fround(0.1));

  // A missing or misshapen parameter is refused.
  const { st, arch } = fileOf(SEED_FILE);
  const missing = new Map(st.tensors);
  missing.delete("decoder.4.bias");
  assert.throws(() => encodeOnnx(arch, missing), /missing tensor 'decoder.4.bias'/);
  const w = st.tensors.get("encoder.0.weight")!;
  assert.throws(
    () => encodeOnnx(arch, new Map(st.tensors).set("encoder.0.weight", { shape: [16, 9], data: w.data })),
    /tensor 'encoder.0.weight' has shape 16×9, architecture seed needs 16×1×3×3/,
  );
});

// ---- ONNX Runtime, where installed.

interface OrtTensor {
  data: Float32Array;
  dims: readonly number[];
}
interface Ort {
  env: { wasm?: { numThreads?: number } };
  Tensor: new (type: "float32", data: Float32Array, dims: number[]) => OrtTensor;
  InferenceSession: {
    create(
      model: Uint8Array,
      options?: Record<string, unknown>,
    ): Promise<{
      run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
      release(): Promise<void>;
    }>;
  };
}

const RUNTIMES = {
  "onnxruntime-web": { options: { executionProviders: ["wasm"] }, absent: "a devDependency: npm ci installs it" },
  "onnxruntime-node": {
    options: { executionProviders: ["cpu"], intraOpNumThreads: 1, interOpNumThreads: 1 },
    absent: "a devDependency: npm ci installs it",
  },
} as const;
type RuntimeName = keyof typeof RUNTIMES;

/** The runtime's module, or why it cannot be tested (only "not installed" skips; a broken install fails). */
async function loadRuntime(name: RuntimeName): Promise<Ort | string> {
  try {
    const ort = (await import(name)) as Ort; // a variable specifier: the build does not need the package
    if (ort.env.wasm) ort.env.wasm.numThreads = 1; // no worker threads (onnxruntime-web)
    return ort;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "ERR_MODULE_NOT_FOUND") throw e;
    return `${name} is not installed, its tests skipped (${RUNTIMES[name].absent})`;
  }
}

/** Runs bytes in the runtime on x [B, C, H, W]; returns the output, checked to have x's shape. */
async function runOnnx(
  ort: Ort,
  name: RuntimeName,
  bytes: Uint8Array,
  x: Float32Array,
  dims: number[],
  outDims = dims,
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { ...RUNTIMES[name].options });
  try {
    const out = (await session.run({ input: new ort.Tensor("float32", x, dims) })).output;
    assert.deepEqual([...out.dims], outDims);
    return out.data;
  } finally {
    await session.release();
  }
}

/** The engine's output for x [B, ...input], with `tensors` loaded into a model of `arch`. */
function engineForward(arch: Arch, tensors: Map<string, Tensor>, x: Float32Array, B: number): Float32Array {
  const model = new Model(engine, arch, B, undefined, { inference: true });
  try {
    applyWeights(model, { tensors, metadata: {} }, arch.name);
    model.inputView(B).set(x);
    model.forward(B);
    return model.outputView(B).slice();
  } finally {
    model.dispose();
  }
}

/** B golden noisy digits centred on an H×W canvas of faint deterministic noise. */
function canvas(B: number, H: number, W: number): Float32Array {
  const digits = goldenF32("input_noisy.bin"),
    r = testRandom(40 * H + W),
    out = new Float32Array(B * H * W);
  for (let i = 0; i < out.length; i++) out[i] = 0.1 * (r() + 1);
  const top = (H - 28) >> 1,
    left = (W - 28) >> 1;
  for (let b = 0; b < B; b++) {
    for (let y = 0; y < 28; y++)
      out.set(digits.subarray((b * 28 + y) * 28, (b * 28 + y + 1) * 28), (b * H + y + top) * W + left);
  }
  return out;
}

// f32 rounding in a different summation order (ORT's conv kernels, ours); outputs are ~1 in size.
const TOLERANCE = 1e-5;

for (const name of Object.keys(RUNTIMES) as RuntimeName[]) {
  const ort = await loadRuntime(name);
  const skip = typeof ort === "string" ? ort : false;
  if (skip) console.log(`# SKIPPED: ${skip}`);

  test(`${name}: seed and the default unet24 give the engine's output, at 8×28×28 and 2×40×36`, { skip }, async () => {
    for (const [label, path] of [
      ["seed-mixed", SEED_FILE],
      ["default unet24", DEFAULT_FILE],
    ]) {
      const { st, arch } = fileOf(path);
      const bytes = encodeOnnx(arch, st.tensors);
      for (const [B, H, W] of [
        [8, 28, 28],
        [2, 40, 36],
      ]) {
        assert.deepEqual(paddedSize(arch, H, W), [H, W], `${arch.name} maps ${H}×${W} onto itself`);
        const x = H === 28 && W === 28 ? goldenF32("input_noisy.bin") : canvas(B, H, W);
        const ours = engineForward({ ...arch, input: [1, H, W] }, st.tensors, x, B);
        const theirs = await runOnnx(ort as Ort, name, bytes, x, [B, 1, H, W]);
        const d = diff(theirs, ours);
        console.log(`# ${name}, ${label} ${B}×1×${H}×${W}: max|Δ| ${d.maxAbs.toExponential(2)}`);
        assert.ok(d.maxAbs <= TOLERANCE, `${label} ${B}×1×${H}×${W}: off by ${d.maxAbs} at output ${d.at}`);
      }
    }
  });

  test(`${name}: the shipped photo model (R, G, B and a noise-level map in, R, G, B out) gives the engine's output`, {
    skip,
  }, async () => {
    const { st, arch } = fileOf(PHOTO_FILE);
    const [B, H, W] = [1, 40, 48],
      r = testRandom(5),
      x = new Float32Array(B * 4 * H * W).map((_, i) => (i >= 3 * H * W ? 15 / 255 : 0.5 + 0.4 * r()));
    const d = diff(
      await runOnnx(ort as Ort, name, encodeOnnx(arch, st.tensors), x, [B, 4, H, W], [B, 3, H, W]),
      engineForward({ ...arch, input: [4, H, W] }, st.tensors, x, B),
    );
    console.log(`# ${name}, photo model 1×4×${H}×${W}: max|Δ| ${d.maxAbs.toExponential(2)}`);
    assert.ok(d.maxAbs <= TOLERANCE, `off by ${d.maxAbs} at output ${d.at}`);
  });

  test(`${name}: every op, non-square kernels, strides, padding and output padding, a conv without bias`, {
    skip,
  }, async () => {
    // Any swap of h and w (kernel_shape, strides, pads, output_padding) changes the output shape or values.
    const arch: Arch = {
      name: "odd",
      description: "ONNX export test net",
      input: [2, 12, 10],
      layers: [
        { type: "conv2d", name: "a", out: 3, kernel: [3, 5], stride: [1, 2], padding: [1, 2], bias: false, id: "s" }, // 3×12×5
        { type: "leakyRelu" }, // the default slope
        { type: "conv2d", name: "b", out: 3, kernel: [1, 3], padding: [0, 1] },
        { type: "add", with: "s" },
        { type: "relu" },
        {
          type: "convTranspose2d",
          name: "c",
          out: 2,
          kernel: [3, 5],
          stride: [1, 2],
          padding: [1, 2],
          outputPadding: [0, 1],
        }, // 2×12×10
        { type: "identity" },
        { type: "add", with: "input" },
        { type: "sigmoid" },
      ],
    };
    const plan = planLayers(arch),
      model = new Model(engine, arch, 1, undefined, { inference: true });
    model.init(7);
    const tensors = new Map(plan.tensors.map((t) => [t.name, { shape: t.shape, data: model.param(t.name).slice() }]));
    model.dispose();
    const B = 3,
      r = testRandom(11),
      x = new Float32Array(B * 2 * 12 * 10).map(() => r());
    const d = diff(
      await runOnnx(ort as Ort, name, encodeOnnx(arch, tensors), x, [B, 2, 12, 10]),
      engineForward(arch, tensors, x, B),
    );
    console.log(`# ${name}, every-op net 3×2×12×10: max|Δ| ${d.maxAbs.toExponential(2)}`);
    assert.ok(d.maxAbs <= TOLERANCE, `off by ${d.maxAbs} at output ${d.at}`);
  });
}

test("export --onnx writes the encoder's bytes atomically; bad input is one line, exit 1, no file", () => {
  const tmp = mkdtempSync(join(tmpdir(), "denoise-onnx-"));
  const version = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")).version;
  const out = join(tmp, "sub", "default.onnx");
  let r = runCli(["export", "--onnx", out]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^wrote .*default\.onnx \(cunet32, \d+ parameters, \d+ bytes\)\n$/); // the photo model, as `denoise`'s
  const def = fileOf(PHOTO_FILE);
  assert.deepEqual(readFileSync(out), Buffer.from(encodeOnnx(def.arch, def.st.tensors, { producerVersion: version })));

  // Weights saved by `train` carry Adam state: the export takes the parameters only.
  const seed = fileOf(SEED_FILE),
    withAdam = new Map(seed.st.tensors);
  for (const [k, t] of seed.st.tensors) withAdam.set(`optimizer.exp_avg.${k}`, t).set(`optimizer.exp_avg_sq.${k}`, t);
  const adamFile = join(tmp, "adam.safetensors"),
    seedOut = join(tmp, "seed.onnx");
  writeFileSync(adamFile, encodeSafetensors(withAdam, { ...seed.st.metadata, "optimizer.step": "5" }));
  r = runCli(["export", "--model", adamFile, "--onnx", seedOut]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(
    readFileSync(seedOut),
    Buffer.from(encodeOnnx(seed.arch, seed.st.tensors, { producerVersion: version })),
  );

  const fails = (args: string[], pattern: RegExp, file?: string) => {
    const res = runCli(["export", ...args]);
    assert.equal(res.code, 1, `${args.join(" ")}: ${res.err}`);
    assert.equal(res.err.trimEnd().split("\n").length, 1, res.err);
    assert.match(res.err, pattern);
    if (file) assert.ok(!existsSync(file), `${file} written`);
  };
  const none = join(tmp, "none.onnx");
  fails(
    ["--model", join(tmp, "missing.safetensors"), "--onnx", none],
    /missing\.safetensors: cannot read \(no such file\)/,
    none,
  );
  const junk = join(tmp, "junk.safetensors");
  writeFileSync(junk, "not a weights file");
  fails(["--model", junk, "--onnx", none], /junk\.safetensors: /, none);
  const extra = join(tmp, "extra.safetensors");
  writeFileSync(
    extra,
    encodeSafetensors(
      new Map(seed.st.tensors).set("encoder.9.weight", { shape: [1], data: new Float32Array(1) }),
      seed.st.metadata,
    ),
  );
  fails(
    ["--model", extra, "--onnx", none],
    /unexpected tensor 'encoder\.9\.weight': architecture seed has no such parameter/,
    none,
  );
  mkdirSync(join(tmp, "adir"));
  fails(["--onnx", join(tmp, "adir")], /adir: cannot write \(EISDIR\)/);
  fails(["--onnx", join(tmp, "junk.safetensors", "x.onnx")], /x\.onnx: cannot write \((ENOTDIR|EEXIST)\)/);
  fails(["--onnx", " "], /--onnx needs a file path/);
  fails(["--model", "photo", "--weights", adamFile, "--onnx", none], /give --model or --weights, not both/, none);
  fails([], /required option '--onnx <path>'/);
});
