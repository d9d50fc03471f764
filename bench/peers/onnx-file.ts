// Our network exported to an ONNX file for the ONNX Runtime peers: the bench's own model (PyTorch's
// default init from the engine RNG, as ours uses), through the same encoder as `denoise-wasm export`.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Arch } from "../../host/core/arch.js";
import { Model } from "../../host/core/model.js";
import { encodeOnnx } from "../../host/core/onnx.js";
import type { Tensor } from "../../host/core/safetensors.js";
import { openNodeEngine } from "../../host/node/engine.js";

/** Writes `<dir>/<arch>.onnx` and returns its path. */
export async function exportOnnxFile(arch: Arch, dir: string): Promise<string> {
  const engine = await openNodeEngine({ build: "strict" });
  const model = new Model(engine, arch, 1, undefined, { inference: true });
  model.init(1);
  const weights = new Map<string, Tensor>(
    model.tensors.map((t) => [t.name, { shape: t.shape, data: model.param(t.name).slice() }]),
  );
  model.dispose();
  const path = join(dir, `${arch.name}.onnx`);
  writeFileSync(path, encodeOnnx(arch, weights));
  return path;
}
