// Parity with PyTorch 1.13 for the colour U-Net with a noise-level map (test/golden/cunet, made by
// its make.py): 4 channels in (R, G, B, σ), 3 out, the residual add of the input's first 3 channels,
// four levels of strided convolutions and transposed convolutions. One training step (forward, MSE,
// backward, Adam) on every build this Node runs; tolerances as test/golden.test.ts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Arch } from "../host/core/arch.js";
import { BUILDS } from "../host/core/engine.js";
import { Model } from "../host/core/model.js";
import { openNodeEngine } from "../host/node/engine.js";
import { diff, runnable } from "./helpers.js";

const DIR = fileURLToPath(new URL("../../test/golden/cunet/", import.meta.url));
const f32 = (rel: string) => {
  const b = readFileSync(DIR + rel);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

for (const build of BUILDS) {
  test(`cunet golden parity with PyTorch: ${build} build`, {
    skip: !runnable(build) && `${build} does not validate here`,
  }, async () => {
    const engine = await openNodeEngine({ build });
    const arch = JSON.parse(readFileSync(DIR + "arch.json", "utf8")) as Arch;
    const man = JSON.parse(readFileSync(DIR + "manifest.json", "utf8")) as { params: string[]; loss: number };
    const B = 2,
      model = new Model(engine, arch, B);
    try {
      for (const p of man.params) model.param(p).set(f32(`params/${p}.bin`));
      model.inputView(B).set(f32("input.bin"));
      model.targetView(B).set(f32("target.bin"));
      const loss = model.trainStep(B);
      assert.ok(Math.abs(loss - man.loss) <= 1e-6, `loss ${loss} vs ${man.loss}`);
      const out = diff(model.outputView(B), f32("output.bin"));
      assert.ok(out.rel <= 1e-5, `output rel ${out.rel}`);
      let worst = 0;
      for (const p of man.params) {
        const g = diff(model.grad(p), f32(`grads/${p}.bin`));
        assert.ok(g.rel <= 1e-5, `${p} grad rel ${g.rel}`);
        worst = Math.max(worst, g.rel);
        const a = diff(model.param(p), f32(`adam1/${p}.bin`));
        assert.ok(a.maxAbs <= 1e-6, `${p} after Adam |Δ| ${a.maxAbs}`);
      }
      console.log(
        `# ${build}: loss |Δ| ${Math.abs(loss - man.loss).toExponential(2)}, output rel ${out.rel.toExponential(2)}, worst grad rel ${worst.toExponential(2)}`,
      );
    } finally {
      model.dispose();
    }
  });
}
