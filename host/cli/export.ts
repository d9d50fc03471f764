// `denoise-wasm export --onnx FILE`: a weights file (default: the shipped weights) as a standard
// ONNX model (host/core/onnx.ts): input "input" [batch, C, height, width], output "output", the
// weights as initializers. No engine is loaded: the graph comes from the architecture alone.
import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../core/errors.js";
import { encodeOnnx } from "../core/onnx.js";
import { planLayers } from "../core/plan.js";
import { archOf, checkParams } from "../core/weights.js";
import { PACKAGE_ROOT, readSafetensors, weightsOrDefault, writeFileAtomic } from "../node/files.js";
import { requiredOption } from "./flags.js";

export function exportCommand(prog: Command): void {
  prog.command("export")
    .description("write weights as an ONNX model (opset 13; dynamic batch, height and width)")
    .addOption(requiredOption("--onnx <path>", "output .onnx file"))
    .option("--weights <path>", "weights (.safetensors); default: the shipped default weights")
    .action((f: { onnx: string; weights?: string }) => {
      if (!f.onnx.trim()) throw new UserError("--onnx needs a file path");
      const weights = weightsOrDefault(f.weights);
      const st = readSafetensors(weights);
      const arch = archOf(st, weights, "seed");
      const tensors = planLayers(arch).tensors;
      checkParams(st, tensors, arch.name, weights);
      const bytes = encodeOnnx(arch, st.tensors, { producerVersion: packageVersion() });
      writeFileAtomic(f.onnx, bytes);
      const params = tensors.reduce((n, t) => n + t.numel, 0);
      process.stdout.write(`wrote ${f.onnx} (${arch.name}, ${params} parameters, ${bytes.length} bytes)\n`);
    });
}

function packageVersion(): string | undefined {
  try {
    return JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")).version;
  } catch {
    return undefined;
  }
}
