// `denoise-wasm export --onnx FILE`: a model (--model digits | photo | FILE, as `denoise` takes it;
// default: the shipped photo model, as for `denoise`) as a standard ONNX model (host/core/onnx.ts): input "input"
// [batch, C, height, width], output "output", the weights as initializers. No engine is loaded: the graph comes from the architecture alone.
import { Option, type Command } from "commander";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../core/errors.js";
import { encodeOnnx } from "../core/onnx.js";
import { planLayers } from "../core/plan.js";
import { archOf, checkParams } from "../core/weights.js";
import { modelFile, PACKAGE_ROOT, readSafetensors, writeFileAtomic } from "../node/files.js";
import { givenBy, requiredOption } from "./flags.js";

export function exportCommand(prog: Command): void {
  prog
    .command("export")
    .description("write weights as an ONNX model (opset 13; dynamic batch, height and width)")
    .addOption(requiredOption("--onnx <path>", "output .onnx file"))
    .option(
      "--model <digits|photo|file>",
      "the shipped digit or photo model, or a weights file (.safetensors)",
      "photo",
    )
    .addOption(new Option("--weights <path>", "deprecated: --model <file>").hideHelp())
    .action((f: { onnx: string; model: string; weights?: string }, cmd: Command) => {
      if (!f.onnx.trim()) throw new UserError("--onnx needs a file path");
      if (f.weights && givenBy(cmd)("model")) throw new UserError("give --model or --weights, not both");
      const weights = modelFile(f.weights ?? f.model);
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
