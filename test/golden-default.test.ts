// The shipped weights (data/default.safetensors, unet24; data/photo.safetensors, cunet32) give PyTorch's output: each file
// loaded into a PyTorch module built from its arch_json (test/golden/pytorch_loads_ours.py, strict
// state-dict load) produced test/golden/{default,photo}_pytorch_output.bin for the 8 golden noisy digits (the
// colour photo model: for the cunet golden input).
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Model } from "../host/core/model.js";
import { openNodeEngine } from "../host/node/engine.js";
import { readSafetensors } from "../host/node/files.js";
import type { Tensor } from "../host/core/safetensors.js";
import { archOf, applyWeights } from "../host/core/weights.js";
import { diff, goldenF32 } from "./helpers.js";

test("default weights (unet24) give PyTorch's output for the golden noisy digits", async () => {
  const engine = await openNodeEngine({ build: "strict" });
  const path = fileURLToPath(new URL("../../data/default.safetensors", import.meta.url));
  const st = readSafetensors(path);
  const arch = archOf(st, path, "unet24");
  assert.equal(arch.name, "unet24");
  const model = new Model(engine, arch, 8, undefined, { inference: true });
  const pytorch = goldenF32("../default_pytorch_output.bin");
  const run = (tensors: Map<string, Tensor>) => {
    applyWeights(model, { tensors, metadata: st.metadata }, path);
    model.inputView(8).set(goldenF32("input_noisy.bin"));
    model.forward(8);
    return diff(model.outputView(8), pytorch);
  };
  const d = run(st.tensors);
  console.log(`# default weights (unet24), ours vs PyTorch: max|Δ| ${d.maxAbs.toExponential(2)}`);
  // Outputs are ~1 in size; measured 1.3e-6 (f32 rounding, different summation order over 9 convs
  // and 2 transposed convs; seed-mixed gives 8.9e-7). 1e-5 leaves ~8x headroom. Layout slips are
  // ~1e5 times larger, measured: dec2.0.weight in/out axes swapped 0.95, dec1.0 kernel flipped
  // 0.74, up1 kernel flipped 1.0, enc1.1 kernel h/w transposed 0.55, enc1.1/dec1.0 swapped 2.1.
  assert.ok(d.maxAbs < 1e-5, `off by ${d.maxAbs} at output ${d.at}`);

  // The comparison catches a slip: dec2.0.weight [48,48,3,3] with its in/out axes swapped.
  const w = st.tensors.get("dec2.0.weight")!;
  const swapped = new Float32Array(w.data.length);
  for (let o = 0; o < 48; o++)
    for (let i = 0; i < 48; i++)
      for (let k = 0; k < 9; k++) swapped[(i * 48 + o) * 9 + k] = w.data[(o * 48 + i) * 9 + k];
  const bad = run(new Map(st.tensors).set("dec2.0.weight", { shape: w.shape, data: swapped }));
  assert.ok(bad.maxAbs > 0.1, `swapped dec2.0.weight went unnoticed (max|Δ| ${bad.maxAbs})`);
});

test("photo weights (cunet32) give PyTorch's output for the colour golden input", async () => {
  const engine = await openNodeEngine({ build: "strict" });
  const path = fileURLToPath(new URL("../../data/photo.safetensors", import.meta.url));
  const st = readSafetensors(path),
    arch = archOf(st, path, "cunet32");
  assert.equal(arch.name, "cunet32");
  assert.ok(arch.noiseMap, "the photo model takes a noise-level map");
  // R, G, B and the level map of two 16×16 images (test/golden/cunet/input.bin); trained on 64-px patches, any multiple of 8 runs
  const model = new Model(engine, { ...arch, input: [4, 16, 16] }, 2, undefined, { inference: true });
  applyWeights(model, st, path);
  model.inputView(2).set(goldenF32("../cunet/input.bin"));
  model.forward(2);
  const d = diff(model.outputView(2), goldenF32("../photo_pytorch_output.bin"));
  console.log(`# photo weights (cunet32), ours vs PyTorch: max|Δ| ${d.maxAbs.toExponential(2)}`);
  assert.ok(d.maxAbs < 1e-5, `off by ${d.maxAbs} at output ${d.at}`);
});
