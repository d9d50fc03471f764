// Parity with PyTorch 1.13 on golden data (test/golden/seed): the notebook model with PyTorch's
// initial weights, 8 noisy MNIST digits → every layer's activations, the MSE loss, every gradient
// and the weights after one Adam step, for each build this Node can run. It runs the one training
// step the trainer runs (Model.trainStep: zero, forward, loss, backward in wasm, then Adam) and
// reads what that step leaves behind: the batch's activations, its gradient, the new weights.
//
// Tolerances (error on the tensor's own scale, max|Δ| / max|ref|, unless stated):
//   activations and gradients 1e-5: f32 GEMMs with K up to 1568 summed in another order than
//   PyTorch's (and, in the relaxed build, fused) differ by ~1e-7..1e-6 of scale; a wrong index, a
//   missing bias or a transposed weight gives errors of order 1.
//   loss: |Δ| ≤ 1e-6 absolute.
//   Adam: |Δ| ≤ 1e-6 absolute on parameters of scale ~0.1 whose step is lr = 1e-3: a wrong bias
//   correction or ε placement moves them by ≥ 1e-5.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SEED } from "../host/core/arch.js";
import { Model } from "../host/core/model.js";
import { BUILDS } from "../host/core/engine.js";
import { openNodeEngine } from "../host/node/engine.js";
import { diff, goldenF32, goldenManifest, runnable } from "./helpers.js";

const TOL_ACT = 1e-5,
  TOL_GRAD = 1e-5,
  TOL_LOSS = 1e-6,
  TOL_ADAM = 1e-6;

for (const build of BUILDS) {
  test(`golden parity with PyTorch: ${build} build`, {
    skip: !runnable(build) && `${build} does not validate here (relaxed needs node --experimental-wasm-relaxed-simd)`,
  }, async () => {
    const engine = await openNodeEngine({ build });
    const man = goldenManifest();
    const B = 8;
    const model = new Model(engine, SEED, B);
    for (const p of man.params) {
      assert.deepEqual(model.tensor(p.name).shape, p.shape, `${p.name} shape`);
      model.param(p.name).set(goldenF32(p.file));
    }
    model.inputView(B).set(goldenF32("input_noisy.bin"));
    model.targetView(B).set(goldenF32("input_clean.bin"));
    const bytesBefore = model.memoryBytes();

    const loss = model.trainStep(B);
    const rows: string[] = [];
    const acts = Object.values(man.activations_initial_weights);
    assert.equal(acts.length, model.layers.length);
    acts.forEach((a, i) => {
      const d = diff(model.activation(i, B), goldenF32(a.file));
      rows.push(
        `  act ${a.file.replace("acts/act_", "").replace(".bin", "").padEnd(28)} max|Δ| ${d.maxAbs.toExponential(2)}  rel ${d.rel.toExponential(2)}`,
      );
      assert.ok(d.rel <= TOL_ACT, `${a.file}: rel ${d.rel} > ${TOL_ACT}`);
    });
    const dLoss = Math.abs(loss - man.loss);
    rows.push(`  loss ${loss} vs ${man.loss}  |Δ| ${dLoss.toExponential(2)}`);
    assert.ok(dLoss <= TOL_LOSS, `loss |Δ| ${dLoss}`);

    for (const p of man.params) {
      const d = diff(model.grad(p.name), goldenF32(p.grad_file));
      rows.push(`  grad ${p.name.padEnd(18)} max|Δ| ${d.maxAbs.toExponential(2)}  rel ${d.rel.toExponential(2)}`);
      assert.ok(d.rel <= TOL_GRAD, `${p.name} grad rel ${d.rel} > ${TOL_GRAD}`);
    }

    for (const p of man.params) {
      const d = diff(model.param(p.name), goldenF32(p.after_adam1_file));
      rows.push(`  adam ${p.name.padEnd(18)} max|Δ| ${d.maxAbs.toExponential(2)}`);
      assert.ok(d.maxAbs <= TOL_ADAM, `${p.name} after Adam |Δ| ${d.maxAbs} > ${TOL_ADAM}`);
    }
    assert.equal(model.memoryBytes(), bytesBefore, "the training step grew wasm memory");
    console.log(`# ${build} build vs PyTorch 1.13 (${engine.reason}):\n${rows.join("\n")}`);
  });
}
